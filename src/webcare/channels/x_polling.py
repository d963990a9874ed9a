"""Polling X for mentions, so nothing posted while we were down is missed.

The algorithm from ../shared/docs/platforms.md §1.2: ask `GET /2/users/{id}/mentions` for
posts newer than the stored `since_id` (exclusive), follow `meta.next_token` to the end, store
every post, and only then move `since_id` to the newest id seen. A crash in between re-reads
posts that are already stored, and the store recognises them (`post:<id>`), so every post is
stored once.

The timeline returns only the 800 most recent mentions. When a poll reaches that cap there may be
a gap behind it (a long outage on a busy day), so the gap between the old `since_id` and the
oldest post returned is read from recent search (`query=@handle`, the last 7 days).

A 429 stores the platform's reset on the inbox's ConnectorState; no request to X is made for that
inbox before it. A lease on the same row keeps two workers from polling one inbox at once.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from webcare.channels.actions import ingest
from webcare.channels.adapters import x
from webcare.channels.adapters.base import ChannelError
from webcare.channels.leases import take_lease
from webcare.channels.models import ConnectorState
from webcare.inboxes.models import Inbox, InboxKind

logger = logging.getLogger(__name__)

MENTIONS_CAP = 800
PAGE_SIZE = 100
LEASE = timedelta(minutes=5)
# A new listening query looks back this far (X's recent search reaches 7 days).
LISTEN_LOOKBACK = timedelta(days=1)
# A query that suddenly matches thousands of posts: each run reads the newest 1,000 and moves
# on. Listening samples the buzz; it is no promise (mentions, which are, are read in full).
LISTEN_MAX_PAGES = 10
# When X refuses without saying until when, wait one rate-limit window.
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=15)


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    from_search: int = 0
    skipped: str = ""
    error: str = ""


def pollable_inboxes() -> list[Inbox]:
    """X inboxes with the credentials to poll, not sandboxed and not switched off."""
    return [
        inbox
        for inbox in Inbox.objects.filter(kind=InboxKind.X).select_related("account")
        if inbox.setting("user_id")
        and inbox.setting("bearer_token")
        and not inbox.setting("sandbox", False)
        and inbox.setting("poll", True)
    ]


def poll_all() -> list[PollResult]:
    results = []
    for inbox in pollable_inboxes():
        results.append(poll_mentions(inbox))
        if inbox.setting("listen_query"):
            results.append(poll_listening(inbox))
    return results


# Each feed is its own X endpoint with its own rate-limit window: where its reset is kept.
def _limited_until(state: ConnectorState, feed: str) -> datetime | None:
    if feed == "mentions":
        return state.rate_limited_until
    value = state.cursor.get(f"{feed}_limited_until")
    return datetime.fromisoformat(value) if value else None


def _set_limit(state: ConnectorState, feed: str, until: datetime | None) -> None:
    if feed == "mentions":
        state.rate_limited_until = until
    elif until is None:
        state.cursor.pop(f"{feed}_limited_until", None)
    else:
        state.cursor[f"{feed}_limited_until"] = until.isoformat()


Work = Callable[[Inbox, ConnectorState, PollResult], None]


def _run(inbox: Inbox, feed: str, work: Work) -> PollResult:
    """One poll of one feed under the inbox's lease; errors are recorded, not raised."""
    state = take_lease(inbox, LEASE)
    if state is None:
        return PollResult(skipped="another worker is polling this inbox")
    result = PollResult()
    try:
        limited = _limited_until(state, feed)
        if limited and limited > timezone.now():
            result.skipped = f"rate limited until {limited.isoformat()}"
            return result
        work(inbox, state, result)
        state.last_error = ""
        _set_limit(state, feed, None)
    except ChannelError as exc:
        result.error = str(exc)
        state.last_error = str(exc)
        state.last_error_at = timezone.now()
        if exc.rate_limited:
            _set_limit(state, feed, exc.retry_at or timezone.now() + DEFAULT_RATE_LIMIT_WAIT)
        logger.warning("x.poll_failed", extra={"inbox_id": inbox.pk, "reason": str(exc)})
    finally:
        state.last_polled_at = timezone.now()
        state.lease_until = None
        state.save()
    return result


def poll_mentions(inbox: Inbox) -> PollResult:
    """One poll of the inbox's mentions timeline."""
    return _run(inbox, "mentions", _poll)


def poll_listening(inbox: Inbox) -> PollResult:
    """One run of the inbox's listening query (X recent search)."""
    return _run(inbox, "listen", _listen)


def _poll(inbox: Inbox, state: ConnectorState, result: PollResult) -> None:
    user_id = x.brand_user_id(inbox)
    since = state.cursor.get("since_id")
    params: dict[str, Any] = {
        "max_results": PAGE_SIZE,
        x.fields_param(inbox): x.POST_FIELDS,
        "expansions": "author_id",
        "user.fields": x.USER_FIELDS,
    }
    if since:
        params["since_id"] = since
    else:
        # A new inbox starts at its connection, not with the account's mention history.
        params["start_time"] = inbox.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    posts, users, newest = _read_pages(inbox, f"/2/users/{user_id}/mentions", params, "mentions")
    if since and len(posts) >= MENTIONS_CAP:
        oldest = min((p["id"] for p in posts), key=int)
        gap_posts, gap_users = _search_gap(inbox, since, oldest, params)
        result.from_search = len(gap_posts)
        posts += gap_posts
        users += gap_users
    result.fetched = len(posts)
    result.stored = _store(inbox, posts, users, user_id)
    if newest and (not since or int(newest) > int(since)):
        state.cursor = {**state.cursor, "since_id": str(newest)}
    if posts:
        state.last_event_at = timezone.now()


def _listen(inbox: Inbox, state: ConnectorState, result: PollResult) -> None:
    """Posts matching the inbox's listening query since the last run; the first run looks
    back one day. Stored like mentions (same keys), but marked as found by listening."""
    user_id = x.brand_user_id(inbox)
    since = state.cursor.get("listen_since_id")
    params: dict[str, Any] = {
        "query": str(inbox.setting("listen_query")),
        "max_results": PAGE_SIZE,
        x.fields_param(inbox): x.POST_FIELDS,
        "expansions": "author_id",
        "user.fields": x.USER_FIELDS,
    }
    if since:
        params["since_id"] = since
    else:
        params["start_time"] = (timezone.now() - LISTEN_LOOKBACK).strftime("%Y-%m-%dT%H:%M:%SZ")
    posts, users, newest = _read_pages(
        inbox,
        "/2/tweets/search/recent",
        params,
        "the listening search",
        "next_token",
        max_pages=LISTEN_MAX_PAGES,
    )
    result.fetched = len(posts)
    result.stored = _store(inbox, posts, users, user_id, listening=True)
    if newest and (not since or int(newest) > int(since)):
        state.cursor = {**state.cursor, "listen_since_id": str(newest)}
    if posts:
        state.last_event_at = timezone.now()


def _read_pages(
    inbox: Inbox,
    path: str,
    params: dict[str, Any],
    what: str,
    cursor_param: str = "pagination_token",
    *,
    max_pages: int | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """Every page of a timeline (or the first `max_pages`); returns the posts, their users and
    the first page's newest id."""
    posts: list[dict[str, Any]] = []
    users: list[dict[str, Any]] = []
    newest = None
    token = None
    pages = 0
    while max_pages is None or pages < max_pages:
        pages += 1
        page_params = {**params, **({cursor_param: token} if token else {})}
        data = x.request(inbox, "GET", path, what, params=page_params)
        meta = data.get("meta") or {}
        if newest is None:
            newest = meta.get("newest_id")
        posts.extend(p for p in data.get("data") or [] if isinstance(p, dict) and p.get("id"))
        users.extend((data.get("includes") or {}).get("users") or [])
        token = meta.get("next_token")
        if not token:
            break
    return posts, users, newest


def _search_gap(
    inbox: Inbox, since: str, until: str, params: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Mentions older than the timeline's cap reaches: recent search between the ids."""
    handle = inbox.handle.lstrip("@")
    if not handle:
        raise ChannelError(
            f"More than {MENTIONS_CAP} mentions arrived since the last poll and X only lists "
            "that many; set the inbox's handle so the rest can be found by search.",
            permanent=True,
        )
    search = {key: value for key, value in params.items() if key not in {"since_id", "start_time"}}
    search.update(query=f"@{handle}", since_id=since, until_id=until)
    posts, users, _newest = _read_pages(
        inbox, "/2/tweets/search/recent", search, "the search for missed mentions", "next_token"
    )
    return posts, users


def _store(
    inbox: Inbox,
    posts: list[dict[str, Any]],
    users: list[dict[str, Any]],
    user_id: str,
    *,
    listening: bool = False,
) -> int:
    """Store oldest first, so a parent is usually in before its replies; returns how many new."""
    unique = {str(post["id"]): post for post in posts}
    ordered = [unique[key] for key in sorted(unique, key=int)]
    stored = 0
    items = x.post_items(ordered, users, user_id, listening=listening, brand_handle=inbox.handle)
    for item in items:
        stored += ingest(inbox, x.SOURCE, item.dedupe_key, item.payload).stored
    return stored
