"""Drafts (a reply being written, kept on the server so a closed browser loses nothing) and
the team's canned responses."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from webcare.conversations.models import Conversation


class Draft(models.Model):
    """One person's unsent reply in one conversation, saved while they type."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    text = models.TextField(blank=True, default="")
    # The newest message its author had seen when they last typed (the collision guard's id).
    seen_message_id = models.PositiveBigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="draft_unique"),
        ]

    def __str__(self) -> str:
        return f"draft of {self.user_id} in {self.conversation_id}"


class CannedResponse(models.Model):
    """A prepared answer of the team, for one language and one channel kind, or for any.

    Its text may use the variables of replies/variables.py ({first_name}, {agent_initials},
    {agent_first_name}), filled in per conversation when an agent uses it. Written by leads
    and admins only (replies/canned.py); ranked for each message by the words they share.
    """

    class Language(models.TextChoices):
        ANY = "", _("Any language")
        DUTCH = "nl", _("Dutch")
        ENGLISH = "en", _("English")

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="canned_responses"
    )
    title = models.CharField(max_length=80)
    text = models.TextField()
    language = models.CharField(max_length=2, choices=Language.choices, blank=True, default="")
    # An inbox kind ("x", "facebook", ...) or "" for every channel.
    channel = models.CharField(max_length=20, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "title", "language", "channel"], name="canned_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(language__in=["", "nl", "en"]), name="canned_language_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title
