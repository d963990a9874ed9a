"""Background work for triage; a thin wrapper around triage.actions."""

from django.db import transaction
from django_tasks import task

from webcare.conversations.models import Message
from webcare.triage.actions import triage_message


@task()
def triage_message_task(message_id: int) -> None:
    """Triage one stored message; a no-op when it is gone (deleted with its conversation)."""
    message = (
        Message.objects.select_related("inbox", "sender_identity").filter(pk=message_id).first()
    )
    if message is not None:
        triage_message(message)


def enqueue_triage(message: Message) -> None:
    """The ingest hook: after the message's transaction commits, triage it in the background.

    Call it from the write path that creates a customer message. It never blocks the webhook:
    enqueueing is one INSERT into the task table, after commit, and the worker (embedded in
    `webcare serve`, or `webcare worker`) runs the triage. A rolled-back message is never
    triaged. Under the test settings (ImmediateBackend) the task runs at commit.
    """
    message_id = message.pk
    transaction.on_commit(lambda: triage_message_task.enqueue(message_id))
