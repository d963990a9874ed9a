"""`webcare user add USERNAME --account NAME --role admin|lead|agent`."""

import secrets
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from webcare.accounts.actions import do_add_user, get_or_create_account
from webcare.accounts.models import Role
from webcare.core.errors import ActionError


class Command(BaseCommand):
    help = "Manage people. The password is read from standard input, or generated and printed."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add a user to an account (or change their role).")
        add.add_argument("username")
        add.add_argument("--account", required=True, help="Account name; created if missing.")
        add.add_argument("--role", required=True, choices=Role.values)
        add.add_argument("--name", default="", help="Full name shown to colleagues.")

    def handle(self, *args: object, **options: str) -> None:
        password = ""
        if not sys.stdin.isatty():
            password = sys.stdin.readline().strip()
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        try:
            account = get_or_create_account(options["account"])
            user = do_add_user(
                options["username"], account, options["role"], password, full_name=options["name"]
            )
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{user.username} is {options['role']} in {account.name}")
        if generated:
            self.stdout.write(f"password: {password}")
