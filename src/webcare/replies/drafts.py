"""Drafts: the reply a person is writing, saved on the server while they type.

A draft belongs to one person in one conversation and is private to them, so saving one is
not a change to the conversation: it writes no timeline entry and sends no live event (it
would tell colleagues nothing, and it happens every few seconds while someone types).

Sending a reply deletes its author's draft (`replies.actions.do_send_reply`). A save still
on its way when the reply went out must not bring the sent text back into the composer, so a
save that names the newest message its author had seen (`seen_message_id`) is refused when
the author has since replied or written a note in the conversation: that text was written
before, and is now either sent or out of date.
"""

from django.db import transaction

from webcare.accounts.models import User
from webcare.conversations.models import Conversation, Message, MessageKind
from webcare.core.errors import ActionError
from webcare.replies.models import Draft

# Far more than any channel takes (X: 280, e-mail: a long letter), yet small enough that a
# pasted log file or a stuck key does not fill the database.
MAX_DRAFT_LENGTH = 20_000


class StaleDraft(ActionError):
    """The author replied (or wrote a note) after the newest message this draft saw."""

    def __init__(self) -> None:
        super().__init__(
            "You have replied or written a note in this conversation since this draft's "
            "seen_message_id; reload the conversation before saving a draft.",
            status=409,
            field="seen_message_id",
        )


def draft_for(actor: User, conversation: Conversation) -> Draft | None:
    """The actor's own draft in the conversation; nobody sees another person's draft."""
    return Draft.objects.filter(conversation=conversation, user=actor).first()


@transaction.atomic
def save_draft(
    actor: User, conversation: Conversation, text: str, seen_message_id: int | None = None
) -> Draft | None:
    """Keep `text` as the actor's draft (one per person and conversation); None once deleted.

    Text that is empty or only whitespace deletes the draft: the person cleared the box, and
    an empty draft would only pre-fill the composer with nothing. The text is kept as typed
    (line breaks, trailing spaces), since it goes back into the composer.
    """
    if len(text) > MAX_DRAFT_LENGTH:
        raise ActionError(
            f"The draft is {len(text) - MAX_DRAFT_LENGTH} characters too long "
            f"(maximum {MAX_DRAFT_LENGTH}).",
            field="text",
        )
    # The same lock do_send_reply takes: a save and a send of the same conversation happen
    # one after the other, so the check below sees a reply sent a moment ago.
    Conversation.objects.select_for_update().filter(pk=conversation.pk).values_list("pk").get()
    if seen_message_id is not None:
        _check_seen(actor, conversation, seen_message_id)
    if not text.strip():
        discard_draft(actor, conversation)
        return None
    draft, _ = Draft.objects.update_or_create(
        conversation=conversation,
        user=actor,
        defaults={"text": text, "seen_message_id": seen_message_id},
    )
    return draft


def _check_seen(actor: User, conversation: Conversation, seen_message_id: int) -> None:
    if not Message.objects.filter(pk=seen_message_id, conversation=conversation).exists():
        raise ActionError(
            f"Message {seen_message_id} is not part of conversation "
            f"#{conversation.display_id}; send the id of the newest message you have seen in it.",
            field="seen_message_id",
        )
    written_since = Message.objects.filter(
        conversation=conversation,
        sender_user=actor,
        kind__in=[MessageKind.MESSAGE, MessageKind.NOTE],
        pk__gt=seen_message_id,
    )
    if written_since.exists():
        raise StaleDraft


def discard_draft(actor: User, conversation: Conversation) -> bool:
    """Delete the actor's draft in the conversation; False when there was none."""
    deleted, _ = Draft.objects.filter(conversation=conversation, user=actor).delete()
    return deleted > 0
