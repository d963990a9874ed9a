"""The sandbox's desk: a brand whose X, Facebook, Instagram, WhatsApp and e-mail inboxes are
connected, with real credentials and webhooks, to the platforms' stand-ins on this machine,
and whose web chat is embedded on the console's demo site.

Idempotent like the demo's desk: `webcare sandbox` is run again and again on one data
directory, and the stand-ins get new ports each time, so every run points the inboxes at them
again and keeps everything the earlier runs received.
"""

from dataclasses import dataclass

from django.urls import reverse

from webcare.accounts.access import access_membership
from webcare.accounts.actions import (
    do_add_team,
    do_add_user,
    do_set_auto_assign,
    do_set_availability,
    do_set_capacity,
    do_set_language,
    get_or_create_account,
)
from webcare.accounts.models import Account, Availability, Role, User
from webcare.channels.health import WEBHOOK_ROUTES
from webcare.channels.whatsapp_templates import sync_templates
from webcare.demo.setup import Login, Person, demo_password
from webcare.inboxes.actions import do_add_inbox, do_set_team, do_update_settings
from webcare.inboxes.models import Inbox, InboxKind
from webcare.sandbox.standins.facebook import FacebookStandIn
from webcare.sandbox.standins.instagram import InstagramStandIn
from webcare.sandbox.standins.mail import MailServer
from webcare.sandbox.standins.whatsapp import WhatsAppStandIn
from webcare.sandbox.standins.x import XStandIn

ACCOUNT_NAME = "Sandbox Parkeergarage"
VERIFY_TOKEN = "webcare-sandbox"  # noqa: S105 (the handshake word the stand-ins are told)
PEOPLE = (
    Person("sanne", "Sanne de Vries", Role.LEAD, User.Language.DUTCH),
    Person("daan", "Daan Visser", Role.AGENT, User.Language.ENGLISH),
)
TEAM = "Webcare"
EMAIL_INBOX = "E-mail (sandbox)"
CHAT_COLOR = "#0f766e"


@dataclass(frozen=True)
class StandIns:
    """The running stand-ins, one per social platform."""

    x: XStandIn
    facebook: FacebookStandIn
    instagram: InstagramStandIn
    whatsapp: WhatsAppStandIn
    mail: MailServer


@dataclass(frozen=True)
class SandboxDesk:
    account: Account
    inboxes: dict[str, Inbox]  # by kind
    logins: list[Login]

    def webhook_url(self, kind: str, server_url: str) -> str:
        inbox = self.inboxes[kind]
        return server_url + reverse(WEBHOOK_ROUTES[kind], args=[inbox.token])

    def webhook_urls(self, server_url: str) -> dict[str, str]:
        """Inbox kind -> webhook URL, for the kinds reached by webhook (not e-mail, chat)."""
        return {
            kind: self.webhook_url(kind, server_url)
            for kind in self.inboxes
            if kind in WEBHOOK_ROUTES
        }


def _inbox_specs(standins: StandIns) -> dict[str, tuple[str, str, dict[str, object]]]:
    """kind -> (name, handle, settings): what `webcare inbox add` would be given."""
    x, facebook, instagram, whatsapp, mail = (
        standins.x,
        standins.facebook,
        standins.instagram,
        standins.whatsapp,
        standins.mail,
    )
    # Without dovecot there is no IMAP server: replies still go out by SMTP, and the contact
    # form and the chat's offline form still land (they need no mailbox).
    imap = (
        {"imap_host": "127.0.0.1", "imap_port": str(mail.imap_port), "imap_security": "none"}
        if mail.imap_port
        else {"imap_host": ""}
    )
    return {
        InboxKind.X: (
            f"@{x.username} (sandbox)",
            x.username,
            {
                "consumer_secret": x.consumer_secret,
                "user_id": x.user_id,
                "bearer_token": x.bearer_token,
                "api_base": x.url,
            },
        ),
        InboxKind.FACEBOOK: (
            "Facebook (sandbox)",
            facebook.page_id,
            {
                "app_secret": facebook.app_secret,
                "verify_token": VERIFY_TOKEN,
                "page_id": facebook.page_id,
                "access_token": facebook.access_token,
                "api_base": facebook.api_base,
            },
        ),
        InboxKind.INSTAGRAM: (
            "Instagram (sandbox)",
            instagram.username,
            {
                "app_secret": instagram.app_secret,
                "verify_token": VERIFY_TOKEN,
                "ig_user_id": instagram.ig_user_id,
                "access_token": instagram.access_token,
                "api_base": instagram.api_base,
            },
        ),
        InboxKind.WHATSAPP: (
            "WhatsApp (sandbox)",
            whatsapp.display_phone_number,
            {
                "app_secret": whatsapp.app_secret,
                "verify_token": VERIFY_TOKEN,
                "phone_number_id": whatsapp.phone_number_id,
                "waba_id": whatsapp.waba_id,
                "access_token": whatsapp.access_token,
                "api_base": whatsapp.api_base,
            },
        ),
        InboxKind.EMAIL: (
            EMAIL_INBOX,
            "",
            {
                **imap,
                "smtp_host": "127.0.0.1",
                "smtp_port": str(mail.smtp_port),
                "smtp_security": "none",
                "username": mail.address,
                "password": mail.password,
                "address": mail.address,
                "language": "nl",
                "color": CHAT_COLOR,
            },
        ),
        InboxKind.WEBCHAT: (
            "Website chat (sandbox)",
            "",
            {"color": CHAT_COLOR, "title": "Parkeergarage Centraal", "email_inbox": EMAIL_INBOX},
        ),
    }


def _connect(account: Account, kind: str, name: str, handle: str, settings: dict) -> Inbox:
    inbox = Inbox.objects.filter(account=account, kind=kind, name=name).first()
    if inbox is None:
        return do_add_inbox(account, kind, name, handle=handle, settings=settings)
    return do_update_settings(inbox, settings)


def set_up_sandbox(standins: StandIns, env: str) -> SandboxDesk:
    """Create (or point again at the running stand-ins) the sandbox brand's desk."""
    account = get_or_create_account(ACCOUNT_NAME)
    inboxes = {
        kind: _connect(account, kind, name, handle, settings)
        for kind, (name, handle, settings) in _inbox_specs(standins).items()
    }
    users = []
    logins = []
    for person in PEOPLE:
        password = demo_password(person.username, env)
        user = do_add_user(
            person.username, account, person.role, password, full_name=person.full_name
        )
        do_set_language(user, person.language)
        users.append(user)
        logins.append(
            Login(
                person.username, password, str(person.role), str(person.language), person.full_name
            )
        )
    team = do_add_team(account, TEAM, users)
    do_set_auto_assign(team, True)
    for inbox in inboxes.values():
        do_set_team(inbox, team)
    # The stand-in's approved templates, so the composer can offer them past the 24 hours.
    sync_templates(inboxes[InboxKind.WHATSAPP])
    for person, user in zip(PEOPLE, users, strict=True):
        if person.role == Role.AGENT:
            membership = access_membership(user, account.pk)
            do_set_capacity(membership, 20)
            do_set_availability(membership, Availability.ONLINE)
    return SandboxDesk(account=account, inboxes=inboxes, logins=logins)
