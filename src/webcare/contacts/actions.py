"""Writes to contacts: the identity upsert every inbound message goes through."""

from django.db import IntegrityError, transaction

from webcare.channels.adapters.base import Author
from webcare.contacts.models import Contact, ContactIdentity
from webcare.inboxes.models import Inbox


def _refresh_identity(identity: ContactIdentity, author: Author) -> None:
    """Handles, names and follower counts change; the newest message tells the truth."""
    changed: list[str] = []
    for field, value in (
        ("handle", author.handle),
        ("display_name", author.name),
        ("follower_count", author.follower_count),
        ("verified", author.verified),
    ):
        if value not in ("", None) and getattr(identity, field) != value:
            setattr(identity, field, value)
            changed.append(field)
    if changed:
        identity.save(update_fields=[*changed, "updated_at"])
        if "display_name" in changed and not identity.contact.name:
            Contact.objects.filter(pk=identity.contact_id).update(name=author.name)


def upsert_identity(inbox: Inbox, author: Author) -> ContactIdentity:
    """The identity of `author` on `inbox`, created with a new Contact the first time."""
    identity = (
        ContactIdentity.objects.select_related("contact")
        .filter(inbox=inbox, external_id=author.external_id)
        .first()
    )
    if identity is None:
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    account_id=inbox.account_id, name=author.name or author.handle
                )
                return ContactIdentity.objects.create(
                    contact=contact,
                    inbox=inbox,
                    external_id=author.external_id,
                    handle=author.handle,
                    display_name=author.name,
                    follower_count=author.follower_count,
                    verified=author.verified,
                )
        except IntegrityError:
            # A concurrent message from the same person created it first.
            identity = ContactIdentity.objects.select_related("contact").get(
                inbox=inbox, external_id=author.external_id
            )
    _refresh_identity(identity, author)
    return identity
