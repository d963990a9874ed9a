"""`webcare demo`: set up Parkeergarage Centraal's webcare desk, print the logins, serve, and
replay the scenario live through the real ingest path while the inbox fills."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from webcare.demo.replay import (
    DEFAULT_SPEED,
    Delivery,
    plan_replay,
    replayed_ids,
    run_replay,
    start_background_replay,
)
from webcare.demo.scenario import ScenarioError, load_scenario
from webcare.demo.setup import DemoDesk, set_up_desk

# It prints passwords and invents customers, so never on a production install; tests call it
# to check that the printed logins work.
ALLOWED_ENVS = ("demo", "development", "test")


class Command(BaseCommand):
    help = (
        "Fill Webcare with a fictional Dutch car-park operator (X, Facebook and WhatsApp "
        "inboxes, five colleagues) and replay about 200 customer messages live while serving. "
        "Runs only with WEBCARE_ENV=demo or development. Run it again to continue the replay."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--speed",
            type=float,
            default=DEFAULT_SPEED,
            help=f"How many times faster than real time (default {DEFAULT_SPEED:g}: about "
            "three minutes); 0 loads everything at once.",
        )
        parser.add_argument(
            "--instant", action="store_true", help="Load every message at once (--speed 0)."
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Replay in the foreground and exit instead of serving.",
        )

    def handle(self, *args: object, **options: object) -> None:
        env = settings.WEBCARE_ENV
        if env not in ALLOWED_ENVS:
            raise CommandError(
                f"`webcare demo` does not run with WEBCARE_ENV={env}: it invents customers and "
                "prints passwords. Use a throwaway data directory, e.g. "
                "`WEBCARE_ENV=demo WEBCARE_DATA_DIR=/tmp/webcare-demo webcare demo` "
                "(or `make demo`)."
            )
        speed = 0.0 if options["instant"] else float(str(options["speed"]))
        if speed < 0:
            raise CommandError("--speed must be 0 (all at once) or more.")
        try:
            scenario = load_scenario()
        except ScenarioError as exc:
            raise CommandError(f"The demo scenario is broken: {exc}") from exc

        call_command("migrate", interactive=False, verbosity=0)
        with transaction.atomic():
            desk = set_up_desk(scenario.brand, env)
        deliveries = plan_replay(
            scenario, timezone.now(), speed, replayed_ids(desk.inboxes.values())
        )
        url = f"http://{options['host']}:{options['port']}/"
        self._print_welcome(desk, url, speed, deliveries, bool(options["no_serve"]))

        if options["no_serve"]:
            result = run_replay(desk.inboxes, deliveries)
            self.stdout.write(
                f"Replayed {result.sent} messages ({result.duplicates} were already there, "
                f"{result.failed} failed)."
            )
            return
        start_background_replay(desk.inboxes, deliveries)
        call_command("serve", host=options["host"], port=options["port"], no_migrate=True)

    def _print_welcome(
        self, desk: DemoDesk, url: str, speed: float, deliveries: list[Delivery], no_serve: bool
    ) -> None:
        rows = [("username", "password", "role", "language", "name")] + [
            (login.username, login.password, login.role, login.language, login.full_name)
            for login in desk.logins
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        table = [
            ("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))).rstrip()
            for row in rows
        ]
        inboxes = ", ".join(
            f"{inbox.name} ({inbox.get_kind_display()})" for inbox in desk.inboxes.values()
        )
        if not deliveries:
            replay = "every scenario message is already in the inbox."
        elif speed == 0:
            replay = f"loading {len(deliveries)} messages at once."
        else:
            minutes = max(1, round(deliveries[-1].delay / 60))
            replay = (
                f"{len(deliveries)} messages to go over about {minutes} min "
                f"({speed:g}x real time; --speed changes it)."
            )
        where = f"Once served (`webcare serve`), open {url}" if no_serve else f"Open {url}"
        lines = [
            "",
            f"Webcare demo: {desk.account.name}",
            f"{where} and log in as:",
            "",
            *table,
            "",
            f"Inboxes: {inboxes}.",
            "They are sandboxes: replies are recorded as delivered, nothing is posted.",
            f"Replay: {replay}",
            "Run `webcare demo` again to continue where it stopped.",
            "",
        ]
        self.stdout.write("\n".join(lines))
        # Before uvicorn takes over: the logins must reach a piped or redirected stdout too.
        self.stdout.flush()
