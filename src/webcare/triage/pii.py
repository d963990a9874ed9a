"""Personal data in a message, as character spans: e-mail addresses, phone numbers, IBANs,
Dutch licence plates, Dutch postcodes, payment card numbers, order and ticket numbers.

Rules, not a model: each of these has a written format (and three have a checksum), so a
pattern plus the check finds them with precision a statistical tagger would not reach, at a
cost of microseconds. Libraries do what is hard to get right by hand: `phonenumbers`
(Google's libphonenumber) knows every country's numbering plan, `schwifty` every country's
IBAN length and checksum. The slow checks only run when a cheap pattern found a candidate.

Spans are [start, end) offsets into the text as received (Python string indices, i.e. code
points), so `text[start:end]` is the personal data. Overlaps are settled by the order of
KINDS: an IBAN is not also reported as a phone number inside it.
"""

import re
from dataclasses import dataclass

import phonenumbers
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

KINDS = ("email", "iban", "card", "phone", "plate", "postcode", "order")
# Country whose national format (06-12345678, 020 123 4567) is assumed for numbers written
# without a country code; numbers with +CC or 00CC are read in their own country's plan.
DEFAULT_REGION = "NL"


@dataclass(frozen=True)
class Span:
    type: str
    start: int
    end: int

    def as_dict(self) -> dict[str, object]:
        return {"type": self.type, "start": self.start, "end": self.end}


_EMAIL = re.compile(
    r"(?<![\w.+'-])[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b"
)
# Two letters, two check digits, then 11 to 30 letters/digits, optionally in groups of four.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b", re.I)
# 13 to 19 digits, optionally in groups split by single spaces or dashes.
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
# Anything a phone number could be in: seven or more digits with the usual separators.
_PHONE_HINT = re.compile(r"\d(?:[\s().\-/]{0,3}\d){6,}")

# Dutch plates, sidecodes 1 to 14 (X letter, 9 digit). Written with dashes (the official
# form), spaces or nothing; without separators only where letters and digits alternate in
# a way a flight number (KL1234), a product code or a date does not.
_L = "[A-Z]"
_D = r"\d"
_SIDECODES = [
    (f"{_L}{{2}}", f"{_D}{{2}}", f"{_D}{{2}}"),  # 1  XX-99-99
    (f"{_D}{{2}}", f"{_D}{{2}}", f"{_L}{{2}}"),  # 2  99-99-XX
    (f"{_D}{{2}}", f"{_L}{{2}}", f"{_D}{{2}}"),  # 3  99-XX-99
    (f"{_L}{{2}}", f"{_D}{{2}}", f"{_L}{{2}}"),  # 4  XX-99-XX
    (f"{_L}{{2}}", f"{_L}{{2}}", f"{_D}{{2}}"),  # 5  XX-XX-99
    (f"{_D}{{2}}", f"{_L}{{2}}", f"{_L}{{2}}"),  # 6  99-XX-XX
    (f"{_D}{{2}}", f"{_L}{{3}}", f"{_D}"),  # 7  99-XXX-9
    (f"{_D}", f"{_L}{{3}}", f"{_D}{{2}}"),  # 8  9-XXX-99
    (f"{_L}{{2}}", f"{_D}{{3}}", f"{_L}"),  # 9  XX-999-X
    (f"{_L}", f"{_D}{{3}}", f"{_L}{{2}}"),  # 10 X-999-XX
    (f"{_L}{{3}}", f"{_D}{{2}}", f"{_L}"),  # 11 XXX-99-X
    (f"{_L}", f"{_D}{{2}}", f"{_L}{{3}}"),  # 12 X-99-XXX
    (f"{_D}", f"{_L}{{2}}", f"{_D}{{3}}"),  # 13 9-XX-999
    (f"{_D}{{3}}", f"{_L}{{2}}", f"{_D}"),  # 14 999-XX-9
]
# Sidecodes 1-3 and 5-6 have only one change between letters and digits, so unseparated
# they look like "AB1234" or "12AB34"-style codes: those need their dashes or spaces.
_NEEDS_SEPARATOR = {0, 1, 2, 4, 5}
_plate_with_dashes = "|".join(f"{a}-{b}-{c}" for a, b, c in _SIDECODES)
_plate_with_spaces = "|".join(f"{a} {b} {c}" for a, b, c in _SIDECODES)
_plate_bare = "|".join(
    f"{a}{b}{c}" for i, (a, b, c) in enumerate(_SIDECODES) if i not in _NEEDS_SEPARATOR
)
# Dashes may be in lower case ("12-abc-3" is how people type it); spaces and bare forms must
# be capitals, or ordinary words and numbers ("24 uur 7") would match.
_PLATE_DASHED = re.compile(rf"(?<![\w-])(?:{_plate_with_dashes})(?![\w-])", re.I)
_PLATE_UPPER = re.compile(rf"(?<![\w-])(?:{_plate_with_spaces}|{_plate_bare})(?![\w-])")

# 1234 AB: four digits (no leading 0), two capitals; SA, SD and SS are never issued.
_POSTCODE = re.compile(r"(?<![\w-])[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}(?![\w-])")

# An order, ticket, case or booking reference: a keyword, then a code with three or more
# digits (or a six-character booking code after "booking/reservering/PNR").
_ORDER = re.compile(
    r"\b(?:order|bestel(?:ling|nummer|nr)?|ticket|case|zaak|dossier|referentie|reference|ref"
    r"|klantnummer|customer ?(?:number|no)|factuur(?:nummer)?|invoice|tracking|track ?& ?trace"
    r"|pakket|parcel|confirmation|bevestiging|aanvraag|melding|incident|ordernummer"
    r"|ticketnummer|zaaknummer|casenummer|nr)\.?"
    r"(?:\s*(?:is|was|id|number|nummer|nr\.?|no\.?|code))?\s*[:#]?\s*"
    r"(?P<code>#?[A-Z]{0,4}[-_]?\d[\dA-Z-]{3,24})\b",
    re.I,
)
_HASH_NUMBER = re.compile(r"(?<![\w&])#(?P<code>\d{5,})\b")
_BOOKING = re.compile(
    r"\b(?:booking|boeking|reservering|reservation|pnr|confirmation)\s*(?:code|number|nummer|nr)?"
    r"\.?\s*[:#]?\s*(?P<code>[A-Z0-9]{6})\b",
    re.I,
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _emails(text: str) -> list[Span]:
    if "@" not in text:
        return []
    return [Span("email", m.start(), m.end()) for m in _EMAIL.finditer(text)]


def _ibans(text: str) -> list[Span]:
    found = []
    for m in _IBAN.finditer(text):
        try:
            IBAN(m.group(0))
        except SchwiftyException:
            continue
        found.append(Span("iban", m.start(), m.end()))
    return found


def _cards(text: str) -> list[Span]:
    found = []
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if _luhn(digits) and len(set(digits)) > 1:
            found.append(Span("card", m.start(), m.end()))
    return found


def _phones(text: str) -> list[Span]:
    if not _PHONE_HINT.search(text):
        return []
    return [
        Span("phone", m.start, m.end)
        for m in phonenumbers.PhoneNumberMatcher(
            text, DEFAULT_REGION, leniency=phonenumbers.Leniency.VALID
        )
    ]


def _plates(text: str) -> list[Span]:
    spans = [Span("plate", m.start(), m.end()) for m in _PLATE_DASHED.finditer(text)]
    spans += [Span("plate", m.start(), m.end()) for m in _PLATE_UPPER.finditer(text)]
    return spans


def _postcodes(text: str) -> list[Span]:
    return [Span("postcode", m.start(), m.end()) for m in _POSTCODE.finditer(text)]


def _orders(text: str) -> list[Span]:
    spans = []
    for pattern in (_ORDER, _HASH_NUMBER, _BOOKING):
        for m in pattern.finditer(text):
            code = m.group("code")
            if pattern is _BOOKING and not (
                any(c.isdigit() for c in code) and any(c.isalpha() for c in code)
            ):
                continue
            spans.append(Span("order", m.start("code"), m.end("code")))
    return spans


_FINDERS = (_emails, _ibans, _cards, _phones, _plates, _postcodes, _orders)
_HAS_DIGIT = re.compile(r"\d")


def find(text: str) -> list[Span]:
    """Every piece of personal data, in text order, no two overlapping."""
    if not _HAS_DIGIT.search(text):
        candidates = _emails(text)
    else:
        candidates = [span for finder in _FINDERS for span in finder(text)]
    taken: list[Span] = []
    for span in candidates:  # already in the order of KINDS: earlier kinds win overlaps
        if all(span.end <= t.start or span.start >= t.end for t in taken):
            taken.append(span)
    return sorted(taken, key=lambda s: s.start)
