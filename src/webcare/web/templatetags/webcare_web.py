"""Presentation helpers for the inbox templates: relative times, activity sentences, badges.

They only turn data into words; the decisions about what to show are made in the views.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext

from webcare.conversations.models import (
    Conversation,
    Message,
    ModerationReason,
    NoReplyReason,
    Priority,
    Status,
)
from webcare.inboxes.models import InboxKind

register = template.Library()

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY

# Short marks for the inbox kind badge; the full name is in the badge's title.
KIND_MARKS: dict[str, str] = {
    InboxKind.X: "X",
    InboxKind.FACEBOOK: "f",
    InboxKind.INSTAGRAM: "IG",
    InboxKind.WHATSAPP: "WA",
    InboxKind.EMAIL: "@",
    InboxKind.WEBCHAT: "W",
    InboxKind.API: "API",
}


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _span(seconds: float) -> str:
    """A short, rounded span of time ('12 min', '3 hours', '2 days')."""
    if seconds < HOUR:
        minutes = max(1, int(seconds // MINUTE))
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    if seconds < DAY:
        hours = int(seconds // HOUR)
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    days = int(seconds // DAY)
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


@register.filter
def ago(moment: datetime | None) -> str:
    """'12 min ago'; older than a week shows the date, which reads better than '23 days ago'."""
    if moment is None:
        return ""
    seconds = (timezone.now() - moment).total_seconds()
    if seconds < MINUTE:
        return gettext("just now")
    if seconds >= WEEK:
        return date_format(timezone.localtime(moment), "j M")
    return gettext("%(span)s ago") % {"span": _span(seconds)}


@register.filter
def waited(moment: datetime | None) -> str:
    """How long a customer has been waiting, without 'ago' ('40 min')."""
    if moment is None:
        return ""
    return _span(max(0.0, (timezone.now() - moment).total_seconds()))


@register.filter
def exact_time(moment: datetime | None, zone: str | None = None) -> str:
    """The full date and time in the inbox's time zone, for the hover title."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, _zone(zone))
    return f"{date_format(local, 'l j F Y, H:i')} ({local.tzname()})"


@register.filter
def clock(moment: datetime | None, zone: str | None = None) -> str:
    """A moment as short as it can be read unambiguously: '15:55' today, 'Mon 30 Nov 08:20'
    on another day; the inbox's time zone, as the agent's customers live in it."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, _zone(zone))
    today = timezone.localtime(timezone.now(), _zone(zone)).date()
    if local.date() == today:
        return date_format(local, "H:i")
    return date_format(local, "D j M H:i")


@register.filter
def kind_mark(kind: str) -> str:
    return KIND_MARKS.get(kind, kind[:2].upper())


@register.filter
def kind_name(kind: str) -> str:
    try:
        return str(InboxKind(kind).label)
    except ValueError:
        return kind


@register.filter
def initials(name: str) -> str:
    parts = [p for p in name.replace("@", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def status_label(value: str) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value


@register.filter
def priority_label(value: int | str) -> str:
    try:
        return str(Priority(int(value)).label)
    except (TypeError, ValueError):
        return str(value)


def _actor(message: Message) -> str:
    return message.sender_user.display_name() if message.sender_user else gettext("Webcare")


def _names(data: dict[str, object]) -> str:
    labels = data.get("labels") or []
    return ", ".join(str(name) for name in labels)  # type: ignore[union-attr]


def _assigned(actor: str, data: dict[str, object]) -> str:
    if data.get("from") != data.get("to"):
        if data.get("to_name"):
            return gettext("%(actor)s assigned this to %(name)s") % {
                "actor": actor,
                "name": data["to_name"],
            }
        return gettext("%(actor)s removed the assignee") % {"actor": actor}
    if data.get("team"):
        return gettext("%(actor)s assigned this to team %(team)s") % {
            "actor": actor,
            "team": data["team"],
        }
    return gettext("%(actor)s changed the assignment") % {"actor": actor}


def _reason_label(value: object) -> str:
    return str(dict(NoReplyReason.choices).get(str(value), value))


def _status_changed(actor: str, data: dict[str, object], zone: str | None) -> str:
    to = str(data.get("to", ""))
    settled = data.get("no_reply_needed")
    if to == Status.RESOLVED and isinstance(settled, dict):
        return ngettext(
            "%(actor)s resolved this conversation; %(count)d message needed no reply: %(reason)s",
            "%(actor)s resolved this conversation; %(count)d messages needed no reply: %(reason)s",
            int(settled.get("count", 0)),
        ) % {
            "actor": actor,
            "count": int(settled.get("count", 0)),
            "reason": _reason_label(settled.get("reason")),
        }
    if to == Status.RESOLVED:
        return gettext("%(actor)s resolved this conversation") % {"actor": actor}
    if to == Status.SNOOZED and data.get("until"):
        until = datetime.fromisoformat(str(data["until"]))
        return gettext("%(actor)s snoozed this until %(until)s") % {
            "actor": actor,
            "until": date_format(timezone.localtime(until, _zone(zone)), "j F, H:i"),
        }
    return gettext("%(actor)s changed the status from %(old)s to %(new)s") % {
        "actor": actor,
        "old": status_label(str(data.get("from", ""))),
        "new": status_label(to),
    }


def _priority_changed(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("%(actor)s set the priority to %(priority)s") % {
        "actor": actor,
        "priority": priority_label(data.get("to", 0)),  # type: ignore[arg-type]
    }


def _labels_added(actor: str, data: dict[str, object], zone: str | None) -> str:
    count = len(data.get("labels") or [])  # type: ignore[arg-type]
    return ngettext(
        "%(actor)s added the label %(labels)s", "%(actor)s added the labels %(labels)s", count
    ) % {"actor": actor, "labels": _names(data)}


def _label_removed(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("%(actor)s removed the label %(labels)s") % {
        "actor": actor,
        "labels": _names(data),
    }


def _reopened(actor: str, data: dict[str, object], zone: str | None) -> str:
    if data.get("by") == "customer":
        return gettext("Reopened: the customer wrote again")
    if data.get("by") == "system":
        return gettext("Reopened: a reply did not reach the customer, who is waiting again")
    return gettext("%(actor)s reopened this conversation") % {"actor": actor}


def _returned_to_team(actor: str, data: dict[str, object], zone: str | None) -> str:
    if data.get("team"):
        return gettext("%(name)s went offline: returned to team %(team)s") % {
            "name": data.get("from_name") or actor,
            "team": data["team"],
        }
    return gettext("%(name)s went offline: nobody is assigned now") % {
        "name": data.get("from_name") or actor
    }


def _merged(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("Conversation #%(number)s was merged into this one") % {
        "number": data.get("from", "?")
    }


def _sent_anyway(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("%(actor)s sent a reply anyway, after a colleague had already replied") % {
        "actor": actor
    }


def _reply_marked_sent(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("%(actor)s found the reply on the platform and marked it as sent") % {
        "actor": actor
    }


def _reply_sent_again(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("%(actor)s did not find the reply on the platform and sent it again") % {
        "actor": actor
    }


def _no_reply_needed(actor: str, data: dict[str, object], zone: str | None) -> str:
    count = int(data.get("count", 1))  # type: ignore[call-overload]
    return ngettext(
        "%(actor)s marked a message as needing no reply: %(reason)s",
        "%(actor)s marked %(count)d messages as needing no reply: %(reason)s",
        count,
    ) % {"actor": actor, "count": count, "reason": _reason_label(data.get("reason"))}


def _needs_reply_again(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("%(actor)s put a message back in Needs reply") % {"actor": actor}


def _escalated(actor: str, data: dict[str, object], zone: str | None) -> str:
    if data.get("target") == "resolution":
        return gettext("Escalated to the team leads: the resolution target was missed")
    return gettext("Escalated to the team leads: nobody answered within the response target")


def _taken_up(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("%(actor)s took this up from Listening") % {"actor": actor}


def _moderation_reason(data: dict[str, object]) -> str:
    value = str(data.get("reason") or "")
    return str(dict(ModerationReason.choices).get(value, value))


def _comment_hidden(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("%(actor)s hid a comment on the platform: %(reason)s") % {
        "actor": actor,
        "reason": _moderation_reason(data),
    }


def _comment_unhidden(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("%(actor)s showed a hidden comment again") % {"actor": actor}


def _comment_deleted(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("%(actor)s deleted a comment on the platform: %(reason)s") % {
        "actor": actor,
        "reason": _moderation_reason(data),
    }


def _bounced(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("A reply bounced: the customer's mail server returned it (%(reason)s)") % {
        "reason": data.get("reason") or "?"
    }


def _acknowledged(actor: str, data: dict[str, object], zone: str | None) -> str:
    return gettext("Webcare confirmed receipt to the customer by e-mail") % {}


ACTIVITY_SENTENCES: dict[str, Callable[[str, dict[str, object], str | None], str]] = {
    "assigned": lambda actor, data, zone: _assigned(actor, data),
    "status_changed": _status_changed,
    "priority_changed": _priority_changed,
    "labels_added": _labels_added,
    "label_removed": _label_removed,
    "reopened": _reopened,
    "merged": _merged,
    "returned_to_team": _returned_to_team,
    "sent_anyway": _sent_anyway,
    "reply_marked_sent": _reply_marked_sent,
    "reply_sent_again": _reply_sent_again,
    "no_reply_needed": _no_reply_needed,
    "needs_reply_again": _needs_reply_again,
    "escalated": _escalated,
    "taken_up": _taken_up,
    "comment_hide": _comment_hidden,
    "comment_unhide": _comment_unhidden,
    "comment_delete": _comment_deleted,
    "bounced": _bounced,
    "acknowledged": _acknowledged,
}


@register.simple_tag
def activity_text(message: Message, zone: str | None = None) -> str:
    """One activity entry as a sentence in the reader's language."""
    data = message.activity or {}
    verb = str(data.get("verb", ""))
    sentence = ACTIVITY_SENTENCES.get(verb)
    if sentence is None:
        # A verb added later without a sentence here still shows, plainly.
        return gettext("%(actor)s: %(verb)s") % {"actor": _actor(message), "verb": verb}
    return sentence(_actor(message), data, zone)


@register.simple_tag
def due_countdown(conversation: Conversation) -> str:
    """The answer-due countdown of a list row or header; static/web/countdown.js keeps it live.

    Rendered with its text already right, so the page reads correctly before any script runs.
    """
    due = conversation.response_due_at
    if due is None:
        return ""
    warn_at = due - timedelta(minutes=conversation.inbox.warn_before_minutes)
    now = timezone.now()
    if now >= due:
        state, text = (
            "late",
            gettext("overdue %(span)s") % {"span": _span((now - due).total_seconds())},
        )
    else:
        state = "warn" if now >= warn_at else "ok"
        text = gettext("%(span)s left") % {"span": _span((due - now).total_seconds())}
    return format_html(
        '<time class="due due--{}" datetime="{}" data-warn-at="{}">{}</time>',
        state,
        due.isoformat(),
        warn_at.isoformat(),
        text,
    )
