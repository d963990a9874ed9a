"""`webcare events list|retry`: inbound events that could not be processed, and their retry."""

from django.core.management.base import BaseCommand, CommandParser

from webcare.channels.actions import retry_event
from webcare.channels.models import EventState, RawInboundEvent


class Command(BaseCommand):
    help = "List stored inbound events that failed or are pending, and retry them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="Failed and pending events, oldest first.")
        retry = sub.add_parser("retry", help="Process events again.")
        retry.add_argument("ids", nargs="*", type=int, help="Event ids; none: every failed one.")

    def handle(self, *args: object, **options: object) -> None:
        unprocessed = RawInboundEvent.objects.exclude(state=EventState.PROCESSED).select_related(
            "inbox"
        )
        if options["action"] == "list":
            for event in unprocessed.order_by("received_at"):
                self.stdout.write(
                    f"{event.pk}\t{event.state}\t{event.inbox.name}\t{event.source}:"
                    f"{event.dedupe_key}\t{event.error}"
                )
            return
        ids = options["ids"]
        events = unprocessed.filter(pk__in=ids) if ids else unprocessed
        for event in events.order_by("received_at"):
            retry_event(event)
            self.stdout.write(f"{event.pk}\t{event.state}\t{event.error}")
