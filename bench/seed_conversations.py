"""Fill a bench database with N conversations, fast, for the inbox latency benchmark.

Rows are bulk-inserted rather than ingested: this measures reading the inbox, not writing it
(the TWCS import bench measures the ingest path). The shape follows a busy desk: every
conversation has one customer message; a third are still waiting for an answer. Every
message is triaged already (a TriageResult, the conversation's triage_priority), as on a desk
whose worker keeps up, so the server's triage thread has nothing to do during the run.
"""

import argparse
import os
import random
from datetime import UTC, datetime, timedelta

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webcare.config.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402

from webcare.accounts.actions import create_token, do_add_user, get_or_create_account  # noqa: E402
from webcare.accounts.models import Role  # noqa: E402
from webcare.contacts.models import Contact, ContactIdentity  # noqa: E402
from webcare.conversations.models import (  # noqa: E402
    Conversation,
    DeliveryStatus,
    Direction,
    Message,
    ReplyState,
    Status,
)
from webcare.inboxes.models import Inbox, InboxKind  # noqa: E402
from webcare.triage.actions import result_row  # noqa: E402
from webcare.triage.models import TriageResult  # noqa: E402
from webcare.triage.pipeline import model_version, triage_many  # noqa: E402

BATCH = 5000
TEXTS = [
    "De slagboom bij de uitgang gaat niet open, ik sta al 20 minuten te wachten",
    "Wat kost een dagkaart in Garage Markt?",
    "I lost my parking ticket, what do I pay now?",
    "Waarom is mijn abonnement twee keer afgeschreven?",
    "Thanks for the quick help yesterday!",
]


def seed(n: int, account_name: str) -> None:
    triaged = triage_many((text, "x") for text in TEXTS)
    version = model_version()
    account = get_or_create_account(account_name)
    user = do_add_user("bench", account, Role.AGENT, "bench-password-1")
    inboxes = [
        Inbox.objects.get_or_create(
            account=account,
            kind=kind,
            name=f"Bench {kind}",
            defaults={"settings": {"sandbox": True}},
        )[0]
        for kind in (InboxKind.X, InboxKind.FACEBOOK, InboxKind.WHATSAPP)
    ]
    existing = Conversation.objects.filter(account=account).count()
    rng = random.Random(7)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for offset in range(existing, n, BATCH):
        size = min(BATCH, n - offset)
        with transaction.atomic():
            contacts = Contact.objects.bulk_create(
                [Contact(account=account, name=f"Klant {offset + i}") for i in range(size)]
            )
            identities = ContactIdentity.objects.bulk_create(
                [
                    ContactIdentity(
                        contact=c,
                        inbox=inboxes[(offset + i) % 3],
                        external_id=f"bench-{offset + i}",
                        handle=f"klant{offset + i}",
                    )
                    for i, c in enumerate(contacts)
                ]
            )
            times = [start + timedelta(seconds=30 * (offset + i)) for i in range(size)]
            waiting = [rng.random() < 1 / 3 for _ in range(size)]
            conversations = Conversation.objects.bulk_create(
                [
                    Conversation(
                        account=account,
                        inbox=identities[i].inbox,
                        contact=contacts[i],
                        display_id=offset + i + 1,
                        kind="public_thread",
                        status=Status.OPEN if waiting[i] else Status.RESOLVED,
                        waiting_since=times[i] if waiting[i] else None,
                        # The inbox's default promise: an answer within the hour.
                        response_due_at=times[i] + timedelta(hours=1) if waiting[i] else None,
                        last_activity_at=times[i],
                        message_count=1,
                        external_thread_id=f"bench-{offset + i}",
                    )
                    for i in range(size)
                ]
            )
            messages = Message.objects.bulk_create(
                [
                    Message(
                        account=account,
                        conversation=conv,
                        inbox=conv.inbox,
                        direction=Direction.INBOUND,
                        external_id=f"bench-{offset + i}",
                        sender_identity=identities[i],
                        text=TEXTS[(offset + i) % len(TEXTS)],
                        public=True,
                        created_at=times[i],
                        delivery_status=DeliveryStatus.NONE,
                        # Every customer message is accounted for: waiting, or settled.
                        reply_state=(
                            ReplyState.WAITING if waiting[i] else ReplyState.NO_REPLY_NEEDED
                        ),
                        no_reply_reason="" if waiting[i] else "answered_elsewhere",
                        triaged_at=times[i],
                    )
                    for i, conv in enumerate(conversations)
                ]
            )
            results = [
                result_row(message, triaged[(offset + i) % len(TEXTS)], version)
                for i, message in enumerate(messages)
            ]
            TriageResult.objects.bulk_create(results)
            for conv, result, is_waiting in zip(conversations, results, waiting, strict=True):
                conv.triage_priority = result.priority if is_waiting else 0
            Conversation.objects.bulk_update(conversations, ["triage_priority"])
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE conversations_conversation SET last_message_id = ("
            " SELECT m.id FROM conversations_message m"
            " WHERE m.conversation_id = conversations_conversation.id LIMIT 1)"
            " WHERE last_message_id IS NULL"
        )
    account.conversation_counter = n
    account.save(update_fields=["conversation_counter"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics, as a live database would have
    print(f"account={account.pk} token={create_token(user)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--account", default="Bench Parkeren")
    args = parser.parse_args()
    seed(args.n, args.account)
