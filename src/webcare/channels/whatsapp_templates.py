"""Fetching a WhatsApp inbox's message templates from Meta (`webcare inbox templates sync`).

Why synced rather than typed in: a template is only sendable under the exact name, language
and body Meta approved, and its status changes on Meta's side (approved, paused, rejected).
Meta's Graph reference documents the list: `GET /{WABA-ID}/message_templates` with the
Bearer token answers `{"data": [{"name", "language", "status", "category", "id",
"components": [{"type": "BODY", "text": "... {{1}} ..."}, ...]}], "paging": {"cursors":
{"before", "after"}, "next"?}}`, a page at a time (developers.facebook.com/docs/graph-api/
reference/whats-app-business-account/message_templates; template-management).

Webcare sends body parameters only, positionally ({{1}}, {{2}}). A template that needs more
(named parameters, a header with a variable or media, a button with a variable URL) is
skipped with the reason, so the composer never offers one it could not fill in; a lead can
still see it in Meta's manager. Templates Meta no longer lists are removed; those a lead
added by hand (no Meta id) are left alone.

The worker's sweep also syncs every connected WhatsApp inbox on its own
(WEBCARE_TEMPLATE_SYNC_HOURS, default every 6 hours; sooner again after a failure), so a
template Meta approved or paused overnight is right in the composer the next morning without
anyone pressing the button. A failed sync shows on the connector's health page.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from webcare.channels.adapters import whatsapp
from webcare.channels.adapters.base import ChannelError
from webcare.channels.leases import take_lease
from webcare.channels.models import ConnectorState
from webcare.inboxes.models import Inbox, InboxKind, MessageTemplate, TemplateStatus

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
# Pages followed at most: a runaway `next` must not loop forever.
MAX_PAGES = 50
# Meta's statuses -> ours; anything else (paused, disabled, deleted, ...) cannot be sent.
STATUSES = {
    "APPROVED": TemplateStatus.APPROVED,
    "PENDING": TemplateStatus.PENDING,
    "IN_APPEAL": TemplateStatus.PENDING,
}
VARIABLE = re.compile(r"\{\{.*?\}\}")
# A scheduled sync that failed is tried again after this long, not after the full interval.
RETRY_AFTER = timedelta(minutes=15)
# Held while one worker syncs one inbox; a sync is a few GET requests.
LEASE = timedelta(minutes=5)
# Where the schedule keeps its times, in the inbox's ConnectorState.cursor.
SYNCED_AT = "templates_synced_at"
TRIED_AT = "templates_tried_at"


@dataclass
class SyncResult:
    """What a sync did: templates created, updated, removed, and skipped with the reason."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Listed:
    """One template as Meta listed it, reduced to what Webcare sends."""

    external_id: str
    name: str
    language: str
    category: str
    status: str
    body: str


def _unsendable(template: dict[str, Any]) -> str:
    """Why Webcare cannot fill this template in; "" when it can."""
    if str(template.get("parameter_format") or "POSITIONAL").upper() != "POSITIONAL":
        return "it uses named parameters; Webcare fills in {{1}}, {{2}}, ... only"
    for component in template.get("components") or []:
        kind = str(component.get("type") or "").upper()
        if kind == "HEADER" and (
            str(component.get("format") or "TEXT").upper() != "TEXT"
            or VARIABLE.search(str(component.get("text") or ""))
        ):
            return "its header needs a value or a file; Webcare fills in the body only"
        if kind == "BUTTONS" and any(
            VARIABLE.search(str(button.get("url") or ""))
            for button in component.get("buttons") or []
        ):
            return "a button needs a value; Webcare fills in the body only"
    return ""


def read_listed(template: dict[str, Any]) -> Listed | str:
    """A listed template, or why it is skipped."""
    body = next(
        (
            str(c.get("text") or "")
            for c in template.get("components") or []
            if str(c.get("type") or "").upper() == "BODY"
        ),
        "",
    )
    if not template.get("name") or not template.get("language") or not body:
        return "it has no name, language or body text"
    reason = _unsendable(template)
    if reason:
        return reason
    return Listed(
        external_id=str(template.get("id") or ""),
        name=str(template["name"]),
        language=str(template["language"]),
        category=str(template.get("category") or ""),
        status=STATUSES.get(str(template.get("status") or "").upper(), TemplateStatus.REJECTED),
        body=body,
    )


def fetch_templates(inbox: Inbox) -> list[dict[str, Any]]:
    """Every template of the inbox's business account, following `paging.next`."""
    waba_id = whatsapp.required_setting(inbox, "waba_id", "the WhatsApp Business Account id")
    page = whatsapp.request(
        inbox,
        f"/{waba_id}/message_templates",
        "the list of message templates",
        method="GET",
        params={"limit": str(PAGE_SIZE)},
    )
    templates: list[dict[str, Any]] = []
    for _page_number in range(MAX_PAGES):
        data = page.get("data")
        if not isinstance(data, list):
            raise ChannelError("WhatsApp listed the templates without `data`", permanent=True)
        templates.extend(item for item in data if isinstance(item, dict))
        following = (page.get("paging") or {}).get("next")
        if not following:
            return templates
        # The token goes with it: only ever to the API's own host.
        if urlsplit(str(following)).netloc != urlsplit(whatsapp.api_base(inbox)).netloc:
            raise ChannelError(
                "WhatsApp's next page of templates is on another host", permanent=True
            )
        page = whatsapp.request(
            inbox, str(following), "the next page of message templates", method="GET"
        )
    raise ChannelError(f"WhatsApp listed more than {MAX_PAGES} pages of templates", permanent=True)


def sync_templates(inbox: Inbox, now: datetime | None = None) -> SyncResult:
    """Fetch the templates from Meta and store them; ChannelError when Meta cannot be asked.

    Whoever asks (the worker's schedule, the button on the connection page, the command),
    the outcome is recorded on the inbox's ConnectorState: the schedule reads when it last
    synced, and the health page shows a failure until a sync works again.
    """
    if inbox.kind != InboxKind.WHATSAPP:
        raise ChannelError(f"{inbox.name} is not a WhatsApp inbox", permanent=True)
    now = now or timezone.now()
    try:
        result = _fetch_and_store(inbox)
    except ChannelError as exc:
        _record_sync(inbox, now, error=str(exc))
        raise
    _record_sync(inbox, now, error=None)
    return result


def _fetch_and_store(inbox: Inbox) -> SyncResult:
    result = SyncResult()
    listed: list[Listed] = []
    for template in fetch_templates(inbox):
        read = read_listed(template)
        label = f"{template.get('name')} ({template.get('language')})"
        if isinstance(read, str):
            result.skipped[label] = read
        else:
            listed.append(read)
    do_store_synced_templates(inbox, listed, result)
    logger.info(
        "whatsapp.templates_synced",
        extra={
            "inbox_id": inbox.pk,
            "templates_created": len(result.created),
            "templates_updated": len(result.updated),
            "templates_removed": len(result.removed),
            "templates_skipped": len(result.skipped),
        },
    )
    return result


def _record_sync(inbox: Inbox, now: datetime, error: str | None) -> None:
    state, _ = ConnectorState.objects.get_or_create(inbox=inbox)
    state.cursor[TRIED_AT] = now.isoformat()
    if error is None:
        state.cursor[SYNCED_AT] = now.isoformat()
        state.last_error = ""
    else:
        state.last_error = f"Syncing the message templates failed: {error}"
        state.last_error_at = now
    state.save(update_fields=["cursor", "last_error", "last_error_at"])


@transaction.atomic
def do_store_synced_templates(inbox: Inbox, listed: list[Listed], result: SyncResult) -> None:
    """Create or update each listed template; remove synced ones Meta no longer lists."""
    seen: set[int] = set()
    for item in listed:
        template, created = MessageTemplate.objects.update_or_create(
            inbox=inbox,
            name=item.name,
            language=item.language,
            defaults={
                "category": item.category,
                "body": item.body,
                "status": item.status,
                "external_id": item.external_id,
            },
        )
        seen.add(template.pk)
        (result.created if created else result.updated).append(str(template))
    gone = MessageTemplate.objects.filter(inbox=inbox).exclude(external_id="").exclude(pk__in=seen)
    result.removed.extend(str(template) for template in gone)
    gone.delete()


# The schedule ------------------------------------------------------------------------------


def syncable_inboxes() -> list[Inbox]:
    """WhatsApp inboxes connected to Meta: a business account id and a token, not sandboxed."""
    return [
        inbox
        for inbox in Inbox.objects.filter(kind=InboxKind.WHATSAPP)
        # Present is enough here: the token is decrypted only when a sync uses it.
        if inbox.settings.get("waba_id")
        and inbox.settings.get("access_token")
        and not inbox.setting("sandbox", False)
    ]


def _stamp(state: ConnectorState | None, key: str) -> datetime | None:
    value = state.cursor.get(key) if state else None
    return datetime.fromisoformat(value) if value else None


def is_due(state: ConnectorState | None, now: datetime, every: timedelta) -> bool:
    """Never synced; or synced longer ago than `every`, and not tried in the last RETRY_AFTER
    (so a failing Meta is asked again every 15 minutes, not on every sweep)."""
    synced, tried = _stamp(state, SYNCED_AT), _stamp(state, TRIED_AT)
    if tried and now - tried < min(every, RETRY_AFTER):
        return False
    return synced is None or now - synced >= every


def sync_due(now: datetime | None = None) -> int:
    """Sync every connected WhatsApp inbox whose templates are due; returns how many synced.

    Called by the worker's sweep in every worker process: the lease on the inbox's
    ConnectorState makes one of them do it, and the due check is repeated under the lease so
    a worker that waited for it does not sync again right after another did.
    """
    hours = settings.WEBCARE_TEMPLATE_SYNC_HOURS
    if hours <= 0:
        return 0
    every = timedelta(hours=hours)
    now = now or timezone.now()
    synced = 0
    states = {s.inbox_id: s for s in ConnectorState.objects.filter(inbox__kind=InboxKind.WHATSAPP)}
    for inbox in syncable_inboxes():
        if not is_due(states.get(inbox.pk), now, every):
            continue
        state = take_lease(inbox, LEASE)
        if state is None:
            continue
        try:
            if is_due(state, now, every):
                synced += _scheduled_sync(inbox, now)
        finally:
            ConnectorState.objects.filter(pk=state.pk).update(lease_until=None)
    return synced


def _scheduled_sync(inbox: Inbox, now: datetime) -> int:
    """One sync under the lease; a failure is recorded (sync_templates) and logged, never
    raised into the sweep."""
    try:
        sync_templates(inbox, now)
    except ChannelError as exc:
        logger.warning(
            "whatsapp.templates_sync_failed", extra={"inbox_id": inbox.pk, "reason": str(exc)}
        )
        return 0
    return 1
