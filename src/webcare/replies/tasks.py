"""Background work for replies; thin wrappers around replies.actions."""

from django_tasks import task

from webcare.conversations.models import Message
from webcare.replies.delivery import deliver


@task()
def deliver_reply_task(message_id: int) -> None:
    message = (
        Message.objects.select_related("inbox", "conversation", "conversation__contact")
        .filter(pk=message_id)
        .first()
    )
    if message is not None:
        deliver(message)
