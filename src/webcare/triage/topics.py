"""What a negative message is about, as a few words: the terms storm detection counts.

A storm is one topic (a broken barrier at P2, a double charge, an app that is down) that
many customers complain about at once. Its words are what they share: the content words of
the message, lowercased, without stop words (the stop-words package's Dutch and English
lists), without @mentions, links, numbers and personal data (a licence plate is a person, not
a topic). Both single words and two-word phrases are kept, so "p2 slagboom" can stand out
where "slagboom" alone is everyday.
"""

import re
from functools import cache
from itertools import pairwise

from stop_words import get_stop_words

from webcare.triage import pii

MAX_TERMS = 12
MIN_LENGTH = 3
TERM_LENGTH = 60  # MessageTopic.term
_MENTION_OR_LINK = re.compile(r"@\w+|https?://\S+|www\.\S+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_](?:[\w'-]*\w)?", re.UNICODE)
# Words every webcare message has, that the general lists leave in.
_OURS = {
    "hallo", "hoi", "hey", "goedemorgen", "goedemiddag", "goedenavond", "beste", "groet",
    "groeten", "bedankt", "dank", "thanks", "thank", "please", "pls", "graag", "alvast",
    "jullie", "weer", "echt", "gewoon", "even", "nou", "toch", "wel", "heel", "zo", "al",
    "nog", "ook", "mijn", "mij", "ik", "je", "jij", "u", "uw", "we", "wij", "ze", "zij",
    "hebben", "heb", "hebt", "heeft", "kan", "kun", "kunt", "wil", "wilt", "moet", "moeten",
    "gaat", "gaan", "ga", "komt", "kom", "staat", "sta", "wordt", "worden", "waarom", "wat",
    "hoe", "wanneer", "waar", "niet", "geen", "niks", "nee", "ja", "oke", "ok", "okay",
}  # fmt: skip


@cache
def _stop_words() -> frozenset[str]:
    return frozenset(get_stop_words("dutch")) | frozenset(get_stop_words("english")) | _OURS


def _without_personal_data(text: str) -> str:
    spans = sorted(pii.find(text), key=lambda span: span.start, reverse=True)
    for span in spans:
        text = text[: span.start] + " " + text[span.end :]
    return text


def _content(word: str) -> bool:
    """Long enough to mean something, or a name like "p2" (a garage, a line, a gate)."""
    return len(word) >= MIN_LENGTH or any(c.isdigit() for c in word)


def terms(text: str, brand_words: frozenset[str] = frozenset()) -> list[str]:
    """The message's content words and two-word phrases, in order, at most MAX_TERMS.

    `brand_words` are left out too: the brand's own name is in every message to it.
    """
    stop = _stop_words() | brand_words
    cleaned = _MENTION_OR_LINK.sub(" ", _without_personal_data(text)).lower()
    words = [w for w in _WORD.findall(cleaned) if _content(w) and w not in stop]
    found = dict.fromkeys(word[:TERM_LENGTH] for word in words)
    for first, second in pairwise(words):
        if first != second:
            found.setdefault(f"{first} {second}"[:TERM_LENGTH])
    return list(found)[:MAX_TERMS]
