"""`webcare serve`: HTTP and websockets (uvicorn), with the task worker in the same process."""

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from webcare.core.worker import finish_sends, start_embedded


class Command(BaseCommand):
    help = (
        "Serve Webcare over HTTP and websockets. Migrates first unless --no-migrate. "
        "Embedded: one process runs the web server and the worker. Scale-out: run N "
        "`webcare serve --no-worker` (each on its own port, behind a proxy) and M `webcare worker`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-migrate", action="store_true", help="Do not migrate first.")
        parser.add_argument(
            "--no-worker", action="store_true", help="Leave background work to `webcare worker`."
        )
        parser.add_argument("--log-level", default="warning")

    def handle(self, *args: object, **options: object) -> None:
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        stop = None if options["no_worker"] else start_embedded()
        self.stdout.write(
            f"Webcare ({settings.WEBCARE_ENV}) serving at http://{options['host']}:{options['port']}"
            + ("" if stop is None else " with the embedded worker")
        )
        try:
            uvicorn.run(
                "webcare.config.asgi:application",
                host=str(options["host"]),
                port=int(str(options["port"])),
                log_level=str(options["log_level"]),
                lifespan="off",
            )
        finally:
            if stop is not None:
                stop.set()
                finish_sends()
