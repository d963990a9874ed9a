"""What triage found in one customer message, stored once per message.

Written only by `triage.actions`, in the worker after ingest (triage_pending).
The row keeps the model version that produced it, so a result can be traced to its weights
and re-run when the models change.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from webcare.accounts.models import Account
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


class MessageTopic(models.Model):
    """One term (a content word or two-word phrase, triage/topics.py) of a negative customer
    message: what storm detection counts. Written with the message's triage; `account` and
    `created_at` are the message's, copied so a window's counts are one index range."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="topics")
    term = models.CharField(max_length=60)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "term"], name="topic_once_per_message"),
        ]
        indexes = [
            models.Index(fields=["account", "created_at", "term"], name="topic_window"),
            models.Index(fields=["account", "term", "created_at"], name="topic_baseline"),
        ]

    def __str__(self) -> str:
        return f"{self.term} (message {self.message_id})"


class Storm(models.Model):
    """Negative messages about one topic far above their usual rate: a complaint going viral.

    Opened by the worker's sweep (triage/storms.py), which notifies the team leads once;
    closed when a lead marks it handled, or by the sweep after hours without a new message.
    The messages are those with a MessageTopic of `term` since `opened_at` less the window.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="storms")
    term = models.CharField(max_length=60)
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    # In the window when last counted, and the usual hourly rate it was compared with.
    message_count = models.PositiveIntegerField()
    baseline_per_hour = models.FloatField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "term"],
                condition=Q(closed_at__isnull=True),
                name="storm_one_open_per_term",
            ),
        ]
        indexes = [models.Index(fields=["account", "closed_at"], name="storm_open")]

    def __str__(self) -> str:
        return f"storm {self.term!r} in account {self.account_id}"
