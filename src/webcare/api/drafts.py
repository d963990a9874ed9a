"""`/api/v1/conversations/{id}/draft`: the caller's own unsent reply in a conversation.

A draft is private to the person (the token's user) who writes it, so these endpoints only
ever see the caller's draft; a colleague's draft in the same conversation does not exist
for them. Sending a reply deletes the author's draft.
"""

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from webcare.accounts.access import access_conversation
from webcare.api.auth import actor
from webcare.api.schemas import ERRORS
from webcare.replies.drafts import MAX_DRAFT_LENGTH, discard_draft, draft_for, save_draft
from webcare.replies.models import Draft

router = Router(tags=["drafts"])


class DraftIn(Schema):
    text: str = Field(
        description=(
            f"The draft as typed, at most {MAX_DRAFT_LENGTH} characters. Empty or only "
            "whitespace deletes the draft."
        )
    )
    seen_message_id: int | None = Field(
        default=None,
        description=(
            "The newest message of the conversation the writer has seen. Given, the save is "
            "refused (409) when the writer has replied or written a note since."
        ),
    )


class DraftOut(Schema):
    conversation_id: int
    text: str
    seen_message_id: int | None
    updated_at: datetime


def _out(draft: Draft) -> dict[str, Any]:
    return {
        "conversation_id": draft.conversation_id,
        "text": draft.text,
        "seen_message_id": draft.seen_message_id,
        "updated_at": draft.updated_at,
    }


@router.get(
    "/{conversation_id}/draft",
    response={200: DraftOut, **ERRORS},
    summary="Get your draft reply",
)
def get_draft(request: HttpRequest, conversation_id: int) -> dict[str, Any]:
    """Your own draft in the conversation; 404 when you have none."""
    user = actor(request)
    draft = draft_for(user, access_conversation(user, conversation_id))
    if draft is None:
        raise Http404("You have no draft in this conversation.")
    return _out(draft)


@router.put(
    "/{conversation_id}/draft",
    response={200: DraftOut, 204: None, **ERRORS},
    summary="Save your draft reply",
)
def put_draft(request: HttpRequest, conversation_id: int, payload: DraftIn) -> Status[Any]:
    """Create or replace your draft; 204 when the text was empty and the draft is gone."""
    user = actor(request)
    conversation = access_conversation(user, conversation_id)
    draft = save_draft(user, conversation, payload.text, payload.seen_message_id)
    if draft is None:
        return Status(204, None)
    return Status(200, _out(draft))


@router.delete(
    "/{conversation_id}/draft",
    response={204: None, **ERRORS},
    summary="Discard your draft reply",
)
def delete_draft(request: HttpRequest, conversation_id: int) -> Status[None]:
    """Delete your draft; 204 also when there was none, so a retried request is harmless."""
    user = actor(request)
    discard_draft(user, access_conversation(user, conversation_id))
    return Status(204, None)
