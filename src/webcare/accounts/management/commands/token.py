"""`webcare token create USERNAME`: print a new API bearer token."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from webcare.accounts.actions import create_token
from webcare.accounts.models import User


class Command(BaseCommand):
    help = "Manage REST API tokens (Authorization: Bearer <token>)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token; it is shown only this once.")
        create.add_argument("username")

    def handle(self, *args: object, **options: str) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}; add one with `webcare user add`.")
        self.stdout.write(create_token(user))
