"""`webcare worker`: runs queued background work (reply delivery, ingest sweeps)."""

from django.core.management.base import BaseCommand, CommandParser

from webcare.core.worker import run_foreground


class Command(BaseCommand):
    help = "Run background work. Start as many as you like; each task runs exactly once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=0.5, help="Seconds to wait when the queue is empty."
        )

    def handle(self, *args: object, **options: object) -> None:
        run_foreground(float(str(options["interval"])))
