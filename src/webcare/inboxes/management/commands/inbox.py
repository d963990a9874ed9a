"""`webcare inbox add KIND NAME --account NAME [--set key=value ...]` and friends."""

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from webcare.accounts.actions import get_or_create_account
from webcare.core.errors import ActionError
from webcare.inboxes.actions import do_add_inbox, do_update_settings, parse_settings
from webcare.inboxes.models import Inbox, InboxKind


def describe(inbox: Inbox) -> dict[str, object]:
    webhook = ""
    if inbox.kind == InboxKind.API:
        webhook = settings.PUBLIC_URL + reverse("hook-api", args=[inbox.token])
    return {
        "id": inbox.pk,
        "account": inbox.account.name,
        "kind": inbox.kind,
        "name": inbox.name,
        "handle": inbox.handle,
        "webhook_url": webhook,
        "secret": inbox.secret,
        "settings": inbox.settings,
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
