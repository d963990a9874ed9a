"""Inboxes: one connected channel account each (an X account, a Facebook page, a number)."""

import re
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from webcare.accounts.models import Account, Team
from webcare.inboxes import credentials


class InboxKind(models.TextChoices):
    X = "x", "X"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", _("E-mail")
    WEBCHAT = "webchat", _("Web chat")
    API = "api", "API"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_secret() -> str:
    return secrets.token_hex(32)


class Inbox(models.Model):
    """A queue of conversations from one platform account.

    `handle` is the brand's own id on the platform (e.g. the X screen name), so that the brand's
    own posts arriving through the ingest path are recognised as outbound. `token` names the
    webhook URL, `secret` signs it. `settings` holds per-kind options nobody filters on
    (callback_url, sandbox, ...); anything we query on gets a real column.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="inboxes")
    kind = models.CharField(max_length=20, choices=InboxKind.choices)
    name = models.CharField(max_length=120)
    handle = models.CharField(max_length=120, blank=True, default="")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    secret = models.CharField(max_length=128, default=new_secret)
    timezone = models.CharField(max_length=64, default="Europe/Amsterdam")
    settings = models.JSONField(default=dict, blank=True)
    # The team that answers this inbox: new conversations go to it (round-robin if it says so).
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="inboxes"
    )
    # Response-time promises in business minutes (NULL: no promise), and the warning ahead
    # of a breach in wall-clock minutes. inboxes/business_hours.py does the counting.
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True, default=60)
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True, default=60)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True, default=None)
    warn_before_minutes = models.PositiveIntegerField(default=15)
    # {"mon": [["08:00", "22:00"]], ..., "sun": []}; empty means open around the clock.
    opening_hours = models.JSONField(default=dict, blank=True)
    # Public holidays (the `holidays` package) count as closed; "" for none.
    holiday_country = models.CharField(max_length=2, blank=True, default="NL")
    holiday_subdivision = models.CharField(max_length=10, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "inboxes"
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="inbox_name_unique"),
            models.UniqueConstraint(
                fields=["account", "kind", "handle"],
                condition=~models.Q(handle=""),
                name="inbox_handle_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=InboxKind.values), name="inbox_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def setting(self, key: str, default: object = None) -> object:
        """One setting as a connector uses it: credentials come back decrypted."""
        return credentials.reveal(self.settings.get(key, default))


PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")


class TemplateStatus(models.TextChoices):
    APPROVED = "approved", _("Approved")
    PENDING = "pending", _("Pending review")
    REJECTED = "rejected", _("Rejected")


class MessageTemplate(models.Model):
    """A WhatsApp message template of one inbox's business account, as Meta approved it.

    Outside the 24-hour customer-service window WhatsApp takes nothing but an approved
    template (platforms.md §3.5), so the composer offers these there. `body` is the template's
    BODY text with positional placeholders {{1}}, {{2}}, ...; a reply fills them in and keeps
    the rendered text, so the timeline shows what the customer read. Synced from Meta
    (`webcare inbox templates sync`, channels/whatsapp_templates.py) or added by hand in the
    admin; only `approved` ones can be sent. `external_id` is Meta's template id, "" when
    added by hand.
    """

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="message_templates")
    name = models.CharField(max_length=512)
    # Meta's language (and locale) code: "nl", "en_US".
    language = models.CharField(max_length=15)
    category = models.CharField(max_length=30, blank=True, default="")
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.APPROVED
    )
    external_id = models.CharField(max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "name", "language"], name="message_template_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=TemplateStatus.values),
                name="message_template_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def parameter_count(self) -> int:
        """How many values a send must carry: the highest placeholder number in the body."""
        return max((int(number) for number in PLACEHOLDER.findall(self.body)), default=0)

    @property
    def base_language(self) -> str:
        """ "en" for "en_US": what a customer's detected language is compared with."""
        return self.language.split("_", 1)[0].lower()

    def render(self, parameters: list[str]) -> str:
        """The body as the customer reads it; a placeholder without a value stays as it is."""

        def fill(match: re.Match[str]) -> str:
            index = int(match.group(1)) - 1
            return parameters[index] if 0 <= index < len(parameters) else match.group(0)

        return PLACEHOLDER.sub(fill, self.body)
