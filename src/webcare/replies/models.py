"""Drafts: a reply being written, kept on the server so a closed browser loses nothing."""

from django.conf import settings
from django.db import models

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
