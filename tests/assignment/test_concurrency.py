"""Round-robin under load: eight ingest threads at once, each on its own database connection.

What must hold however the transactions interleave: nobody gets more than their capacity, and
while capacity does not bind everyone online gets a fair share (the team row lock makes the
turns strictly one after another).
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.assignment.conftest import MORNING, set_capacity
from tests.conftest import WebhookClient, message_payload
from webcare.accounts.models import Account, Team, User
from webcare.conversations.models import Conversation

pytestmark = pytest.mark.usefixtures("transactional_db")

THREADS = 8
PER_THREAD = 5


def ingest_at_once(webhook: WebhookClient) -> list[int]:
    """40 customers write in from 8 threads released together; returns the HTTP statuses."""
    barrier = threading.Barrier(THREADS)

    def worker(thread: int) -> list[int]:
        client = WebhookClient(webhook.inbox)
        barrier.wait()
        try:
            statuses = []
            for n in range(PER_THREAD):
                key = f"t{thread}-{n}"
                payload = message_payload(
                    key, f"Vraag {key}", author_id=key, created_at=MORNING.isoformat()
                )
                statuses.append(client.post(payload).status_code)
            return statuses
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return [status for statuses in pool.map(worker, range(THREADS)) for status in statuses]


def load(account: Account) -> Counter[str | None]:
    conversations = Conversation.objects.filter(account=account).select_related("assignee")
    return Counter(c.assignee.username if c.assignee else None for c in conversations)


def test_concurrent_ingest_shares_fairly_when_capacity_does_not_bind(
    account: Account, team_webhook: WebhookClient, agents: list[User], team: Team
) -> None:
    for person in agents:
        set_capacity(person, account, 20)

    statuses = ingest_at_once(team_webhook)

    assert statuses == [200] * THREADS * PER_THREAD
    shares = load(account)
    assert sum(shares.values()) == THREADS * PER_THREAD
    assert None not in shares
    assert max(shares.values()) - min(shares.values()) <= 1
    assert set(shares) == {"anna", "bram", "cas"}
    assert Conversation.objects.filter(account=account).exclude(team=team).count() == 0


def test_concurrent_ingest_never_exceeds_capacity(
    account: Account, team_webhook: WebhookClient, agents: list[User], team: Team
) -> None:
    for person, capacity in zip(agents, (5, 7, 3), strict=True):
        set_capacity(person, account, capacity)

    statuses = ingest_at_once(team_webhook)

    assert statuses == [200] * THREADS * PER_THREAD
    assert load(account) == {"anna": 5, "bram": 7, "cas": 3, None: 25}
    assert Conversation.objects.filter(account=account, team=team).count() == 40
