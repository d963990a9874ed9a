"""Background work for replies; thin wrappers around replies.delivery."""

from django_tasks import task

from webcare.replies.delivery import deliver_now


@task()
def deliver_reply_task(message_id: int) -> None:
    """Deliver one queued reply; a no-op when a worker already took it from the outbox."""
    deliver_now(message_id)
