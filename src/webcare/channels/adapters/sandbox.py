"""The sandbox: replies on imported and demo inboxes are recorded as delivered, not posted."""

from webcare.channels.adapters.base import SendResult
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox


class SandboxSender:
    def send(self, inbox: Inbox, message: Message) -> SendResult:
        return SendResult(external_id=f"sandbox-{message.pk}", delivered=True)
