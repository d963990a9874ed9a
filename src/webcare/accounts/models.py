"""People and tenants.

An Account is one brand; every customer-facing row belongs to exactly one. An agency that runs
several brands has several accounts, and its people have one Membership per account.
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Account(models.Model):
    """A brand (tenant). `conversation_counter` hands out the per-account display numbers."""

    name = models.CharField(max_length=120, unique=True)
    conversation_counter = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who logs in. `language` picks the UI language whatever the browser says."""

    class Language(models.TextChoices):
        DUTCH = "nl", _("Nederlands")
        ENGLISH = "en", _("English")

    language = models.CharField(max_length=5, choices=Language.choices, default=Language.DUTCH)

    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    LEAD = "lead", _("Team lead")
    AGENT = "agent", _("Agent")


class Availability(models.TextChoices):
    """Whether automatic assignment may hand someone new conversations."""

    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class Membership(models.Model):
    """A user's role in one account; no membership, no access (404, not 403).

    `availability` and `capacity` steer round-robin assignment within a team: only online
    people below their capacity (open conversations assigned to them) get new ones, the one
    assigned longest ago (`last_assigned_at`) first.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    availability = models.CharField(
        max_length=10, choices=Availability.choices, default=Availability.OFFLINE
    )
    capacity = models.PositiveSmallIntegerField(default=10)
    last_assigned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(availability__in=Availability.values),
                name="membership_availability_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account} ({self.role})"


class Team(models.Model):
    """A routing group inside an account, e.g. 'Webcare' or 'Finance'."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=80)
    members = models.ManyToManyField(User, related_name="teams", blank=True)
    # Hand new conversations of the team's inboxes round-robin to its online members.
    auto_assign = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="team_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class NotificationKind(models.TextChoices):
    SLA_WARNING = "sla_warning", _("Response due soon")
    ESCALATED = "escalated", _("Escalated")
    SKIPPED = "skipped", _("Skipped message")
    ASSIGNED = "assigned", _("Assigned to you")
    STORM = "storm", _("Storm")  # many negative messages about one topic (triage/storms.py)


class Notification(models.Model):
    """Something one person should know about one conversation; read when they open it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=NotificationKind.values),
                name="notification_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user} on {self.conversation_id}"
