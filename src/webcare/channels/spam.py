"""Keeping robots out of the public forms without a third-party service.

Three checks, each cheap and each with a message a person can act on:

- a honeypot: a field hidden from people (and from screen readers) that robots fill in;
- a time check: the form carries a signed moment of rendering, and a submission less than
  two seconds later is refused (nobody types a message that fast); one older than a day has
  expired (its token could otherwise be collected once and replayed for ever);
- a rate limit: at most RATE_LIMIT submissions per RATE_WINDOW from one address (IP, or the
  chat visitor), counted in the cache (per process embedded, Redis when scaled out). The
  address is counted by its hash and kept nowhere else.

A refused submission stores nothing.
"""

import hashlib
import secrets
import time
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache
from django.utils.translation import gettext as _

from webcare.core.errors import ActionError

SALT = "webcare.forms"
MINIMUM_SECONDS = 2.0
MAXIMUM_AGE_SECONDS = 24 * 3600
RATE_LIMIT = 5
RATE_WINDOW_SECONDS = 600
HONEYPOT_FIELD = "website"


class Refused(ActionError):
    """A submission the checks turned away; `message` says why, for the person."""


@dataclass(frozen=True)
class FormTicket:
    """What the rendered form carries: when it was made, and the nonce that names it."""

    token: str
    nonce: str


def new_ticket(now: float | None = None) -> FormTicket:
    nonce = secrets.token_hex(12)
    moment = time.time() if now is None else now
    return FormTicket(signing.dumps({"t": moment, "n": nonce}, salt=SALT), nonce)


def check_ticket(token: str, now: float | None = None) -> str:
    """The nonce of a valid ticket; Refused when it is missing, forged, too fresh or stale."""
    try:
        data = signing.loads(token or "", salt=SALT)
        made, nonce = float(data["t"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Refused(
            _("This form was changed or is incomplete. Reload the page and send it again."),
            status=400,
        ) from None
    elapsed = (time.time() if now is None else now) - made
    if elapsed < MINIMUM_SECONDS:
        raise Refused(
            _(
                "That was sent within two seconds of opening the form, as robots do. If you "
                "are a person: wait a moment and press Send again."
            ),
            status=400,
        )
    if elapsed > MAXIMUM_AGE_SECONDS:
        raise Refused(_("This form has expired. Reload the page and send it again."), status=400)
    return nonce


def check_honeypot(value: str) -> None:
    if value.strip():
        raise Refused(
            _(
                "This form was not sent: a field that must stay empty was filled in, which "
                "robots do. If you are a person, reload the page and try again."
            ),
            status=400,
        )


def check_rate(scope: str, who: str) -> None:
    """Count one submission of `who` (an IP address, a visitor) in `scope`; Refused past the
    limit. Counted only when it passes, so a refused robot does not lock out a person."""
    key = "rate:" + hashlib.sha256(f"{scope}|{who}".encode()).hexdigest()
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS)
        count = 1
    if count > RATE_LIMIT:
        raise Refused(
            _(
                "You have sent several messages in a short time. Please wait ten minutes and "
                "try again."
            ),
            status=429,
        )
