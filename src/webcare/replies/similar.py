"""Similar conversations the team answered before, with the answer they gave.

A desk hears the same questions every week (the tariff on Sundays, a barrier at P2 that will
not open, a refund for a double charge), and the best answer to a new one is often one a
colleague already gave. For the customer's newest message this finds earlier customer
messages of the same account that were answered, ranked by the content words they share
(triage/topics.py, personal data and stop words left out), each word weighted by how rare it
is among the candidates (inverse document frequency): sharing "slagboom" says more than
sharing "parkeren" at a car park.

Only the most recent answered messages are compared (CANDIDATES, newest first through the
partial index on answered inbound messages), so the cost per conversation page is bounded
whatever the size of the history; an answer is shown only when it shares at least
MIN_SHARED words and its score passes MIN_SCORE, so an unrelated answer never looks like
advice. Read-only: a selector, used by the composer's "Help with the answer".
"""

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from webcare.conversations.models import (
    Conversation,
    Direction,
    Message,
    MessageKind,
    ReplyState,
)
from webcare.triage import topics

CANDIDATES = 300
SHOWN = 3
MIN_SHARED = 2
MIN_SCORE = 0.25


@dataclass(frozen=True)
class SimilarAnswer:
    conversation: Conversation
    question: str  # the earlier customer message
    answer: str  # the reply that answered it
    answered_at: datetime
    shared: tuple[str, ...]  # the words the two customer messages have in common
    score: float  # cosine of the IDF-weighted word sets, 0..1


def _candidates(conversation: Conversation) -> list[Message]:
    return list(
        Message.objects.filter(
            conversation__account_id=conversation.account_id,
            direction=Direction.INBOUND,
            kind=MessageKind.MESSAGE,
            reply_state=ReplyState.ANSWERED,
            answered_by__isnull=False,
        )
        .exclude(conversation_id=conversation.pk)
        .select_related("answered_by", "conversation")
        .only(
            "text",
            "created_at",
            "answered_by__text",
            "answered_by__created_at",
            "conversation__display_id",
            "conversation__account_id",
        )
        .order_by("-created_at", "-pk")[:CANDIDATES]
    )


def _weights(words: set[str], idf: dict[str, float]) -> dict[str, float]:
    return {word: idf[word] for word in words if word in idf}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    shared = a.keys() & b.keys()
    if not shared:
        return 0.0
    dot = sum(a[w] * b[w] for w in shared)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def similar_answers(conversation: Conversation, message: Message | None) -> list[SimilarAnswer]:
    """Up to SHOWN earlier answers to messages like `message`, the most similar first."""
    if message is None or not message.text.strip():
        return []
    words = set(topics.terms(message.text))
    if len(words) < MIN_SHARED:
        return []
    candidates = [(m, set(topics.terms(m.text))) for m in _candidates(conversation)]
    document_frequency = Counter(word for _m, terms in candidates for word in terms)
    count = len(candidates) + 1
    idf = {
        word: math.log((count + 1) / (document_frequency[word] + 1)) + 1.0
        for word in words | set(document_frequency)
    }
    mine = _weights(words, idf)
    ranked = []
    for candidate, terms in candidates:
        shared = words & terms
        if len(shared) < MIN_SHARED:
            continue
        score = _cosine(mine, _weights(terms, idf))
        if score >= MIN_SCORE:
            ranked.append((score, candidate, shared))
    ranked.sort(key=lambda item: (-item[0], -item[1].created_at.timestamp()))
    return [
        SimilarAnswer(
            conversation=candidate.conversation,
            question=candidate.text,
            answer=candidate.answered_by.text,
            answered_at=candidate.answered_by.created_at,
            shared=tuple(sorted(shared)),
            score=round(score, 3),
        )
        for score, candidate, shared in ranked[:SHOWN]
    ]
