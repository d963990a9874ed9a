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
"""

import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction

from webcare.channels.adapters import whatsapp
from webcare.channels.adapters.base import ChannelError
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


def sync_templates(inbox: Inbox) -> SyncResult:
    """Fetch the templates from Meta and store them; ChannelError when Meta cannot be asked."""
    if inbox.kind != InboxKind.WHATSAPP:
        raise ChannelError(f"{inbox.name} is not a WhatsApp inbox", permanent=True)
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
