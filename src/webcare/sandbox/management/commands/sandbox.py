"""`webcare sandbox`: Webcare with stand-ins of X, Facebook, Instagram and WhatsApp beside it,
a local SMTP and IMAP pair (aiosmtpd, and dovecot when it is installed) for e-mail, and a demo
site with the chat widget.

Starts the stand-ins on free ports of 127.0.0.1, connects a sandbox brand's inboxes to them
(credentials, API base, webhooks: everything a real connection has), serves the customer
console where a newcomer posts as a customer, and then serves Webcare itself with its worker.
The X inbox also polls the stand-in's mentions, as it polls X.
"""

import signal
from contextlib import ExitStack

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse

from webcare.inboxes.models import InboxKind
from webcare.sandbox.console import Console, running_console
from webcare.sandbox.desk import SandboxDesk, StandIns, set_up_sandbox
from webcare.sandbox.standins.facebook import running_facebook
from webcare.sandbox.standins.instagram import running_instagram
from webcare.sandbox.standins.mail import running_mail
from webcare.sandbox.standins.whatsapp import running_whatsapp
from webcare.sandbox.standins.x import running_x

# It prints passwords and plays customers, so never on a production install.
ALLOWED_ENVS = ("demo", "development", "test")


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


class Command(BaseCommand):
    help = (
        "Serve Webcare beside stand-ins of X, Facebook, Instagram and WhatsApp, with a page "
        "where you post as a customer and see Webcare's answers arrive on the platform. Runs "
        "only with WEBCARE_ENV=demo or development (`make sandbox`)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000, help="Webcare's port")
        parser.add_argument(
            "--console-port", type=int, default=8100, help="the customer console's port"
        )

    def handle(self, *args: object, **options: object) -> None:
        env = settings.WEBCARE_ENV
        if env not in ALLOWED_ENVS:
            raise CommandError(
                f"`webcare sandbox` does not run with WEBCARE_ENV={env}: it plays customers and "
                "prints passwords. Use a throwaway data directory, e.g. `WEBCARE_ENV=demo "
                "WEBCARE_DATA_DIR=/tmp/webcare-sandbox webcare sandbox` (or `make sandbox`)."
            )
        host, port = str(options["host"]), int(str(options["port"]))
        webcare_url = f"http://{host}:{port}"
        call_command("migrate", interactive=False, verbosity=0)
        # uvicorn re-raises SIGTERM once it has shut down; exit through the `with` below then,
        # so the mail servers it started are stopped too.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        with ExitStack() as running:
            standins = StandIns(
                x=running.enter_context(running_x()),
                facebook=running.enter_context(running_facebook()),
                instagram=running.enter_context(running_instagram()),
                whatsapp=running.enter_context(running_whatsapp()),
                mail=running.enter_context(running_mail()),
            )
            with transaction.atomic():
                desk = set_up_sandbox(standins, env)
            console = Console(
                standins,
                desk.webhook_urls(webcare_url),
                chat_token=desk.inboxes[InboxKind.WEBCHAT].token,
                form_url=webcare_url
                + reverse("contact-form", args=[desk.inboxes[InboxKind.EMAIL].token]),
            )
            try:
                console_url = running.enter_context(
                    running_console(console, webcare_url, int(str(options["console_port"])))
                )
            except OSError as exc:
                raise CommandError(
                    f"The customer console cannot listen on port {options['console_port']}: "
                    f"{exc}. Pick another with --console-port."
                ) from exc
            self._print_welcome(desk, standins, webcare_url, console_url)
            call_command("serve", host=host, port=port, no_migrate=True)

    def _print_welcome(
        self, desk: SandboxDesk, standins: StandIns, webcare_url: str, console_url: str
    ) -> None:
        logins = "\n".join(
            f"  {login.username:<8} {login.password:<22} {login.role:<6} {login.full_name}"
            for login in desk.logins
        )
        platforms = "\n".join(
            f"  {name:<10} {url}"
            for name, url in (
                ("X", standins.x.url),
                ("Facebook", standins.facebook.api_base),
                ("Instagram", standins.instagram.api_base),
                ("WhatsApp", standins.whatsapp.api_base),
                ("SMTP", f"127.0.0.1:{standins.mail.smtp_port}"),
                (
                    "IMAP",
                    f"127.0.0.1:{standins.mail.imap_port} (dovecot)"
                    if standins.mail.imap_port
                    else "not started: dovecot is not installed (apt-get install dovecot-imapd)",
                ),
            )
        )
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Webcare sandbox: {desk.account.name}",
                    f"1. Play the customer at {console_url}/",
                    f"2. Answer in Webcare at {webcare_url}/ , logged in as:",
                    "",
                    logins,
                    "",
                    "3. The answer appears on the console, as it arrived on the platform.",
                    f"4. Chat, or use the contact form, on the demo site: {console_url}/site/",
                    "",
                    "The platforms' stand-ins (each inbox's api_base):",
                    platforms,
                    "",
                ]
            )
        )
        self.stdout.flush()
