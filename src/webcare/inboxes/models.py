"""Inboxes: one connected channel account each (an X account, a Facebook page, a number)."""

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
