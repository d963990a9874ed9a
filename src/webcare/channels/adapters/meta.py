"""What Facebook, Instagram and WhatsApp share: Meta's webhook handshake, its signature, and
the Graph API's error envelope (../shared/docs/platforms.md §2.1 and §2.6).

Kept apart from any one platform so the Facebook and Instagram connectors reuse it as is:

- `verify_subscription`: the GET handshake (`hub.mode=subscribe`, `hub.verify_token`,
  `hub.challenge`): answer the challenge only when the token is the one typed into the App
  Dashboard.
- `sign` / `signature_valid`: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw
  body)>`, over the bytes exactly as received (Meta signs its escaped-unicode JSON, so
  re-serialising parsed JSON would not match). The legacy SHA-1 header is not accepted.
- `refusal`: a Graph error `{"error": {"message", "type", "code", "error_subcode",
  "fbtrace_id"}}` as a ChannelError, keyed on `error.code` as well as the HTTP status, because
  Meta reports throttling with codes on a 400 as often as with a 429.
"""

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import httpx

from webcare.channels import ratelimits
from webcare.channels.adapters.base import ChannelError

SIGNATURE_HEADER = "X-Hub-Signature-256"
# Application (4), user (17), page (32), custom (613), WhatsApp business account (80007) and
# WhatsApp throughput (130429) limits: the request was refused because we send too much.
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80007, 130429})


# The GET handshake -----------------------------------------------------------------------------


def verify_subscription(verify_token: str, params: Mapping[str, str]) -> str | None:
    """The challenge to echo when Meta's GET carries our verify token, else None (answer 403)."""
    if not verify_token or params.get("hub.mode") != "subscribe":
        return None
    offered = params.get("hub.verify_token") or ""
    if not hmac.compare_digest(offered.encode(), verify_token.encode()):
        return None
    return params.get("hub.challenge")


# Signatures ------------------------------------------------------------------------------------


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta sends with `body`: lowercase hex, prefixed `sha256=`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check; a missing secret or header never passes."""
    return bool(app_secret and header) and hmac.compare_digest(sign(app_secret, body), header or "")


# Graph API errors ------------------------------------------------------------------------------


def graph_error(response: httpx.Response) -> dict[str, Any]:
    """The `error` object of a Graph answer; empty when the body is not Meta's envelope."""
    try:
        data = response.json()
    except ValueError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def _code(error: Mapping[str, Any]) -> int | None:
    try:
        return int(error["code"])
    except (KeyError, TypeError, ValueError):
        return None


def describe(error: Mapping[str, Any], response: httpx.Response) -> str:
    """Meta's words for a refusal, with the code and fbtrace_id support will ask for."""
    if not error:
        return response.text[:300] or f"HTTP {response.status_code}"
    words = str(error.get("error_user_msg") or error.get("message") or "no message")
    details = [f"code {error['code']}"] if "code" in error else []
    if error.get("error_subcode"):
        details.append(f"subcode {error['error_subcode']}")
    if error.get("fbtrace_id"):
        details.append(f"fbtrace_id {error['fbtrace_id']}")
    return f"{words} ({', '.join(details)})" if details else words


def refusal(
    platform: str,
    what: str,
    response: httpx.Response,
    explanations: Mapping[int, str] | None = None,
) -> ChannelError:
    """The ChannelError for a non-2xx Graph answer.

    Throttling (429 or a rate-limit code) waits for the reset the usage headers give; a 5xx
    may have been acted on, so it is temporary and `maybe_sent`; an error Meta marks
    `is_transient` is retried; any other 4xx is permanent, in Meta's words, or in the
    platform's `explanations` for codes whose own message would not tell an agent what to do.
    """
    status = response.status_code
    error = graph_error(response)
    code = _code(error)
    if status == 429 or code in RATE_LIMIT_CODES:
        return ChannelError(
            f"{platform} is rate limiting {what} ({describe(error, response)}); "
            "waiting for its reset",
            permanent=False,
            retry_at=ratelimits.reset_at(response.headers),
            rate_limited=True,
        )
    if status >= 500:
        return ChannelError(
            f"{platform} answered {status} to {what}: {describe(error, response)}",
            permanent=False,
            retry_at=ratelimits.reset_at(response.headers),
            maybe_sent=True,
        )
    if explanations and code in explanations:
        return ChannelError(explanations[code], permanent=True)
    if error.get("is_transient") is True:
        return ChannelError(
            f"{platform} could not take {what} just now: {describe(error, response)}",
            permanent=False,
        )
    return ChannelError(
        f"{platform} refused {what} ({status}): {describe(error, response)}", permanent=True
    )


def unreachable(platform: str, what: str, exc: httpx.HTTPError) -> ChannelError:
    """A network failure: temporary, and `maybe_sent` unless the request never left."""
    not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    return ChannelError(
        f"Could not reach {platform} for {what} ({type(exc).__name__}: {exc})",
        permanent=False,
        maybe_sent=not not_sent,
    )
