"""A customer writes at the very moment a colleague resolves: the message is never closed
away unseen. Either the resolve saw it (and settled it with the reason the agent gave), or it
arrived after the resolve and reopened the conversation. Real threads, real connections."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from webcare.accounts.models import User
from webcare.channels.adapters.base import Author, InboundMessage
from webcare.conversations.actions import do_change_status, receive_message
from webcare.conversations.models import Conversation, Message, ReplyState, Status
from webcare.inboxes.models import Inbox

pytestmark = pytest.mark.usefixtures("transactional_db")

ROUNDS = 15
CUSTOMER = Author(external_id="42", handle="marloes_vd", name="Marloes")


def inbound(external_id: str, in_reply_to: str | None = None) -> InboundMessage:
    return InboundMessage(
        external_id=external_id,
        author=CUSTOMER,
        text=f"bericht {external_id}",
        created_at=datetime.now(UTC) - timedelta(seconds=1),
        public=True,
        in_reply_to=in_reply_to,
    )


def run_together(*jobs) -> list[BaseException]:
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            barrier.wait()
            job()
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_a_message_arriving_during_a_resolve_is_never_closed_unseen(
    x_inbox: Inbox, agent_anna: User
) -> None:
    for number in range(ROUNDS):
        root, _ = receive_message(x_inbox, inbound(f"r{number}"))
        conversation = Conversation.objects.get(pk=root.conversation_id)

        errors = run_together(
            lambda c=conversation: do_change_status(
                agent_anna, c, Status.RESOLVED, no_reply_reason="thanks_only"
            ),
            lambda n=number: receive_message(x_inbox, inbound(f"f{n}", in_reply_to=f"r{n}")),
        )

        assert errors == []
        conversation.refresh_from_db()
        follow_up = Message.objects.get(external_id=f"f{number}")
        if follow_up.reply_state == ReplyState.WAITING:
            assert conversation.status == Status.OPEN, f"round {number}: closed unseen"
            assert conversation.waiting_since == follow_up.created_at
        else:
            assert follow_up.reply_state == ReplyState.NO_REPLY_NEEDED
            assert follow_up.no_reply_reason == "thanks_only"
            assert conversation.status == Status.RESOLVED
