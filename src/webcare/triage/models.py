"""What triage found in one customer message, stored once per message.

Written only by `triage.actions`, in the worker after ingest (triage_pending).
The row keeps the model version that produced it, so a result can be traced to its weights
and re-run when the models change.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from webcare.conversations.models import Message


class Language(models.TextChoices):
    DUTCH = "nl", _("Dutch")
    ENGLISH = "en", _("English")
    OTHER = "other", _("Other")


class Intent(models.TextChoices):
    QUESTION = "question", _("Question")
    COMPLAINT = "complaint", _("Complaint")
    PRAISE = "praise", _("Praise")
    FEEDBACK = "feedback", _("Feedback")
    OTHER = "other", _("Other")


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class TriageResult(models.Model):
    """Language, intent, sentiment, personal data and priority of one customer message.

    `priority` (0-100) and `reasons` are the part that does not change while the message
    waits (intent, anger, reach, public, personal data in public); the waiting part is added
    when a list is read (triage.selectors.priority_now). `pii` is a list of
    {"type", "start", "end"} spans into the message text; `has_pii` is its summary, kept as a
    column because the inbox filters on it.
    """

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="triage")
    language = models.CharField(max_length=5, choices=Language.choices)
    intent = models.CharField(max_length=10, choices=Intent.choices)
    needs_reply = models.BooleanField()
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices)
    sentiment_score = models.FloatField()
    complaint_probability = models.FloatField(null=True, blank=True)
    pii = models.JSONField(default=list, blank=True)
    has_pii = models.BooleanField(default=False)
    priority = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list, blank=True)
    model_version = models.CharField(max_length=80)
    triaged_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="triage_language_valid"
            ),
            models.CheckConstraint(
                condition=Q(intent__in=Intent.values), name="triage_intent_valid"
            ),
            models.CheckConstraint(
                condition=Q(sentiment__in=Sentiment.values), name="triage_sentiment_valid"
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=0, priority__lte=100), name="triage_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(sentiment_score__gte=-1, sentiment_score__lte=1),
                name="triage_score_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.intent}/{self.sentiment} p{self.priority} (message {self.message_id})"
