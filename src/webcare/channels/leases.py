"""One worker at a time per inbox: a lease on the inbox's ConnectorState row.

Background jobs that talk to a platform for one inbox (polling X, syncing WhatsApp templates)
run in every worker; the lease makes N workers do each job once between them. It is taken with
one conditional UPDATE, so two workers racing for it cannot both win, and it expires by
itself, so a worker that crashed while holding it blocks nobody for long.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from webcare.channels.models import ConnectorState
from webcare.inboxes.models import Inbox


def take_lease(inbox: Inbox, length: timedelta) -> ConnectorState | None:
    """The inbox's state, held until now + `length`; None when another worker holds it."""
    ConnectorState.objects.get_or_create(inbox=inbox)
    now = timezone.now()
    taken = ConnectorState.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), inbox=inbox
    ).update(lease_until=now + length)
    return ConnectorState.objects.get(inbox=inbox) if taken else None
