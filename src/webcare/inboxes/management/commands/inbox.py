"""`webcare inbox add KIND NAME --account NAME [--set key=value ...]` and friends.

`webcare inbox promises ID --first-response 30 --hours "mon-fri 08:00-22:00" --holidays NL`
sets the response-time promises and business hours (see inboxes/business_hours.py).

`webcare inbox templates sync ID` fetches a WhatsApp inbox's message templates from Meta
(channels/whatsapp_templates.py); `webcare inbox templates list ID` shows what is stored.
"""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from webcare.accounts.actions import get_or_create_account
from webcare.channels.adapters.base import ChannelError
from webcare.channels.health import public_entry_points, webhook_url
from webcare.channels.whatsapp_templates import sync_templates
from webcare.core.errors import ActionError
from webcare.inboxes import credentials
from webcare.inboxes.actions import (
    do_add_inbox,
    do_update_settings,
    parse_settings,
    update_inbox_promises,
)
from webcare.inboxes.business_hours import describe_opening_hours
from webcare.inboxes.models import Inbox, InboxKind, MessageTemplate


def describe(inbox: Inbox) -> dict[str, object]:
    webhook = webhook_url(inbox)
    return {
        "id": inbox.pk,
        "account": inbox.account.name,
        "kind": inbox.kind,
        "name": inbox.name,
        "handle": inbox.handle,
        "webhook_url": webhook,
        "secret": inbox.secret,
        "settings": credentials.masked(inbox.settings),
        **public_entry_points(inbox),
    }


PROMISE_OPTIONS = {
    "first_response": "first_response_minutes",
    "next_response": "next_response_minutes",
    "resolution": "resolution_minutes",
    "warn_before": "warn_before_minutes",
}
# Which option to name in an error about a field.
FIELD_OPTIONS = {
    **{field: option.replace("_", "-") for option, field in PROMISE_OPTIONS.items()},
    "opening_hours": "hours",
    "timezone": "timezone",
    "holiday_country": "holidays",
    "holiday_subdivision": "holidays",
}
NONE_WORDS = {"none", "off", "-", ""}


def describe_promises(inbox: Inbox) -> dict[str, object]:
    return {
        "id": inbox.pk,
        "account": inbox.account.name,
        "name": inbox.name,
        "first_response_minutes": inbox.first_response_minutes,
        "next_response_minutes": inbox.next_response_minutes,
        "resolution_minutes": inbox.resolution_minutes,
        "warn_before_minutes": inbox.warn_before_minutes,
        "timezone": inbox.timezone,
        "opening_hours": inbox.opening_hours,
        "hours": describe_opening_hours(inbox.opening_hours),
        "holiday_country": inbox.holiday_country,
        "holiday_subdivision": inbox.holiday_subdivision,
    }


class Command(BaseCommand):
    help = "Connect and configure inboxes. Prints the webhook URL and signing secret as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add an inbox to an account.")
        add.add_argument("kind", choices=InboxKind.values)
        add.add_argument("name")
        add.add_argument("--account", required=True, help="Account name; created if missing.")
        add.add_argument("--handle", default="", help="The brand's own id on the platform.")
        add.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
        change = sub.add_parser("set", help="Change settings of an inbox.")
        change.add_argument("inbox_id", type=int)
        change.add_argument("pairs", nargs="+", metavar="KEY=VALUE")
        sub.add_parser("list", help="List inboxes as JSON lines.")
        promises = sub.add_parser(
            "promises",
            help="Show or change an inbox's response-time promises and business hours.",
            description=(
                "Targets are business minutes; 'none' removes a promise. Hours use the short "
                'form, e.g. "mon-fri 08:00-22:00; sat 09:00-17:00; sun closed" or "24/7".'
            ),
        )
        promises.add_argument("inbox_id", type=int)
        promises.add_argument("--first-response", metavar="MINUTES|none")
        promises.add_argument("--next-response", metavar="MINUTES|none")
        promises.add_argument("--resolution", metavar="MINUTES|none")
        promises.add_argument("--warn-before", metavar="MINUTES", help="Wall-clock minutes.")
        promises.add_argument("--hours", metavar="TEXT")
        promises.add_argument("--timezone", metavar="IANA_NAME")
        promises.add_argument(
            "--holidays",
            metavar="COUNTRY[-REGION]|none",
            help="Public holidays that close the inbox, e.g. NL, BE, DE-BY; 'none' for none.",
        )

        templates = sub.add_parser(
            "templates",
            help="List a WhatsApp inbox's message templates, or sync them from Meta.",
            description=(
                "sync: fetch GET /{waba_id}/message_templates (set waba_id first) and store "
                "the templates Webcare can fill in; list: print the stored ones as JSON lines."
            ),
        )
        templates.add_argument("templates_action", choices=["sync", "list"])
        templates.add_argument("inbox_id", type=int)

    def handle(self, *args: object, **options: object) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except ActionError as exc:
            raise CommandError(exc.message) from exc

    def _add(self, options: dict) -> None:
        account = get_or_create_account(options["account"])
        inbox = do_add_inbox(
            account,
            options["kind"],
            options["name"],
            handle=options["handle"],
            settings=parse_settings(options["kind"], options["set"]),
        )
        self.stdout.write(json.dumps(describe(inbox), indent=2))

    def _set(self, options: dict) -> None:
        inbox = Inbox.objects.filter(pk=options["inbox_id"]).select_related("account").first()
        if inbox is None:
            raise CommandError(f"No inbox {options['inbox_id']}.")
        do_update_settings(inbox, parse_settings(inbox.kind, options["pairs"]))
        self.stdout.write(json.dumps(describe(inbox), indent=2))

    def _list(self, options: dict) -> None:
        for inbox in Inbox.objects.select_related("account").order_by("account__name", "name"):
            self.stdout.write(json.dumps(describe(inbox)))

    def _promises(self, options: dict) -> None:
        inbox = Inbox.objects.filter(pk=options["inbox_id"]).select_related("account").first()
        if inbox is None:
            raise CommandError(f"No inbox {options['inbox_id']}.")
        fields: dict[str, object] = {}
        for option, field in PROMISE_OPTIONS.items():
            value = options[option]
            if value is not None:
                fields[field] = None if value.strip().lower() in NONE_WORDS else value
        if options["hours"] is not None:
            fields["opening_hours"] = options["hours"]
        if options["timezone"] is not None:
            fields["timezone"] = options["timezone"]
        if options["holidays"] is not None:
            holidays = options["holidays"].strip()
            if holidays.lower() in NONE_WORDS:
                holidays = ""
            country, _sep, region = holidays.partition("-")
            fields["holiday_country"], fields["holiday_subdivision"] = country, region
        try:
            update_inbox_promises(None, inbox, **fields)
        except ActionError as exc:
            where = f"--{FIELD_OPTIONS.get(exc.field or '', exc.field)}: " if exc.field else ""
            raise CommandError(where + exc.message) from exc
        self.stdout.write(json.dumps(describe_promises(inbox), indent=2))

    def _templates(self, options: dict) -> None:
        inbox = Inbox.objects.filter(pk=options["inbox_id"]).select_related("account").first()
        if inbox is None:
            raise CommandError(f"No inbox {options['inbox_id']}.")
        if inbox.kind != InboxKind.WHATSAPP:
            raise CommandError(
                f"{inbox.name} is not a WhatsApp inbox: only WhatsApp has templates."
            )
        if options["templates_action"] == "sync":
            try:
                result = sync_templates(inbox)
            except ChannelError as exc:
                raise CommandError(str(exc)) from exc
            summary = {
                "created": result.created,
                "updated": result.updated,
                "removed": result.removed,
                "skipped": result.skipped,
            }
            self.stdout.write(json.dumps(summary, indent=2))
            return
        for template in MessageTemplate.objects.filter(inbox=inbox):
            described = {
                "name": template.name,
                "language": template.language,
                "category": template.category,
                "status": template.status,
                "parameters": template.parameter_count,
                "body": template.body,
            }
            self.stdout.write(json.dumps(described, ensure_ascii=False))
