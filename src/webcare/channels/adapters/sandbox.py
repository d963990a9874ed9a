"""The sandbox: replies on imported and demo inboxes are recorded as delivered, not posted."""

from webcare.channels.adapters.base import Lookup, SendResult
from webcare.conversations.models import Message
from webcare.inboxes.models import Inbox


class SandboxSender:
    """Stands in for a platform that neither dedupes by key nor can be asked what it has.

    That is the strictest case, so an interrupted sandbox send is parked for a person, just as
    it would be on such a platform: the demo shows the same decision agents will meet.
    """

    resend_is_safe = False

    def lookup(self, inbox: Inbox, message: Message) -> Lookup:
        return Lookup.cannot_tell()

    def send(self, inbox: Inbox, message: Message) -> SendResult:
        return SendResult(external_id=f"sandbox-{message.pk}", delivered=True)
