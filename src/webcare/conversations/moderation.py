"""Hiding and deleting customers' public comments on the platform (Facebook, Instagram).

Spam, abuse, or a customer posting their licence plate under the brand's post: the team
takes it out of public view. Hiding comes first and is the recommended step: the author still
sees the comment, nobody else does, and it can be undone. Deleting is permanent and offered
only once a comment is hidden (the web); the API allows it directly for integrations that
know what they do (../shared/docs/platforms.md §2.6).

The platform is called at once, inside the request, because the agent needs to know whether
it worked; nothing is recorded unless the platform accepted. Every step is audited as an
activity entry in the timeline, with the reason. A comment hidden or deleted as spam also
needs no reply, so it is settled as such.
"""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from webcare.accounts.models import User
from webcare.channels import registry
from webcare.channels.adapters.base import ChannelError
from webcare.conversations import accounting
from webcare.conversations.actions import record_activity, refresh_conversation_state
from webcare.conversations.live import conversation_changed
from webcare.conversations.models import (
    Direction,
    Message,
    MessageKind,
    Moderation,
    ModerationReason,
    NoReplyReason,
)
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox

logger = logging.getLogger(__name__)

ACTIONS = ("hide", "unhide", "delete")


def can_moderate(message: Message, inbox: Inbox | None = None) -> bool:
    """A customer's public comment on a platform that lets the brand hide and delete it.
    `inbox`: the message's, when the caller has it loaded already."""
    return (
        message.direction == Direction.INBOUND
        and message.kind == MessageKind.MESSAGE
        and message.public
        and bool(message.external_id)
        and message.moderation != Moderation.DELETED
        and registry.moderator_for(inbox or message.inbox) is not None
    )


def _check(message: Message, action: str, reason: str) -> None:
    if action not in ACTIONS:
        raise ActionError(
            f"Unknown moderation {action!r}; use one of {', '.join(ACTIONS)}.", field="action"
        )
    if not can_moderate(message):
        raise ActionError(
            _(
                "Only a customer's public comment on Facebook or Instagram can be hidden or "
                "deleted."
            ),
            status=409,
        )
    if action != "unhide" and reason not in ModerationReason.values:
        raise ActionError(
            f"Give a reason: one of {', '.join(ModerationReason.values)}.", field="reason"
        )
    if action == "unhide" and message.moderation != Moderation.HIDDEN:
        raise ActionError(_("This comment is not hidden."), status=409)


def _on_platform(message: Message, action: str) -> None:
    moderator = registry.moderator_for(message.inbox)
    try:
        if action == "delete":
            moderator.delete(message.inbox, message)
        else:
            moderator.hide(message.inbox, message, hidden=action == "hide")
    except ChannelError as exc:
        raise ActionError(
            _("The platform did not take it, so nothing changed: %(reason)s") % {"reason": exc},
            status=502,
        ) from exc


def check_moderate(actor: User, message: Message, action: str, reason: str = "") -> Message:
    """Hide, unhide or delete a comment on its platform, then record it; ActionError if not."""
    _check(message, action, reason)
    _on_platform(message, action)
    state = {"hide": Moderation.HIDDEN, "unhide": Moderation.NONE, "delete": Moderation.DELETED}
    with transaction.atomic():
        message.moderation = state[action]
        message.moderation_reason = "" if action == "unhide" else reason
        message.save(update_fields=["moderation", "moderation_reason"])
        if reason == ModerationReason.SPAM:
            accounting.settle_no_reply(actor, [message], NoReplyReason.SPAM)
            refresh_conversation_state(message.conversation)
        record_activity(
            message.conversation,
            actor,
            f"comment_{action}",
            {"message": message.pk, "reason": message.moderation_reason},
        )
    conversation_changed(message.conversation, "status")
    logger.info("comment.moderated", extra={"message_id": message.pk, "action": action})
    return message
