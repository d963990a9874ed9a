"""Priority: who needs help first, as a score from 0 to 100 with its reasons in words.

A sum of visible parts, not a model: a team lead must be able to see why a message is on top
("complaint · negative · 12k followers · public · waiting 18 min") and argue with it. The
weights follow the product notes: complaints before questions, anger and reach (public, many
followers) because a public complaint can go viral, personal data in public because it must
be taken private at once, and waiting time because social customers expect an answer within
the hour.

The waiting part grows while a message waits, so the stored score (TriageResult.priority)
leaves it out; `with_waiting` adds it when a list is read.
"""

import math

INTENT_POINTS = {"complaint": 30, "question": 20, "feedback": 10, "praise": 0, "other": 0}
NEGATIVE_POINTS = 20  # at a sentiment score of -1
PUBLIC_POINTS = 10
# Twice the public part: the data must leave public view now, whatever the rest of the message.
PERSONAL_DATA_IN_PUBLIC_POINTS = 20
FOLLOWER_POINTS_MAX = 20  # 5 points per tenfold reach above 100 followers: 1k 5, 10k 10
WAITING_POINTS_MAX = 20  # one point per 6 minutes: two hours waiting is the maximum
SEPARATOR = " · "


def followers_words(followers: int) -> str:
    if followers >= 1_000_000:
        return f"{followers / 1_000_000:.1f}M followers".replace(".0M", "M")
    if followers >= 10_000:
        return f"{round(followers / 1000)}k followers"
    if followers >= 1000:
        return f"{followers / 1000:.1f}k followers".replace(".0k", "k")
    return f"{followers} followers"


def waiting_words(minutes: float) -> str:
    whole = int(minutes)
    if whole < 60:
        return f"waiting {whole} min"
    hours, rest = divmod(whole, 60)
    if hours >= 48:
        return f"waiting {hours // 24} days"
    return f"waiting {hours} h {rest} min" if rest else f"waiting {hours} h"


def score(
    intent: str,
    *,
    sentiment: str,
    sentiment_score: float,
    personal_data: bool,
    public: bool | None,
    followers: int | None,
) -> tuple[int, list[str]]:
    """The part of the priority that does not change while the message waits."""
    points = float(INTENT_POINTS.get(intent, 0))
    reasons = [intent] if INTENT_POINTS.get(intent, 0) else []
    if sentiment == "negative":
        points += NEGATIVE_POINTS * min(1.0, max(0.0, -sentiment_score))
        reasons.append("very negative" if sentiment_score <= -0.8 else "negative")
    if followers and followers >= 1000:
        points += min(FOLLOWER_POINTS_MAX, 5 * math.log10(followers / 100))
        reasons.append(followers_words(followers))
    if public:
        points += PUBLIC_POINTS
        reasons.append("public")
        if personal_data:
            points += PERSONAL_DATA_IN_PUBLIC_POINTS
            reasons.append("personal data in public")
    return min(100, round(points)), reasons


def with_waiting(points: int, reasons: list[str], minutes: float | None) -> tuple[int, list[str]]:
    """Add the waiting part (minutes since the customer's message, None when answered)."""
    if minutes is None or minutes < 1:
        return points, list(reasons)
    extra = min(WAITING_POINTS_MAX, minutes / 6)
    return min(100, round(points + extra)), [*reasons, waiting_words(minutes)]
