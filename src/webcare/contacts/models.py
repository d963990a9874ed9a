"""Customers. A Contact is a person; a ContactIdentity is that person's account on one inbox."""

from django.db import models

from webcare.accounts.models import Account
from webcare.inboxes.models import Inbox


class Contact(models.Model):
    """A customer of one account, possibly known on several platforms."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True, default="")
    email = models.EmailField(blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["account", "name"], name="contact_account_name")]

    def __str__(self) -> str:
        return self.name or f"contact {self.pk}"


class ContactIdentity(models.Model):
    """A platform account (X user, Facebook user, WhatsApp number) seen on one inbox.

    `external_id` is the platform's stable user id, unique per inbox; handle and display name
    can change and are updated from each new message.
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="identities")
    external_id = models.CharField(max_length=200)
    handle = models.CharField(max_length=200, blank=True, default="")
    display_name = models.CharField(max_length=200, blank=True, default="")
    follower_count = models.PositiveIntegerField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "contact identities"
        constraints = [
            models.UniqueConstraint(fields=["inbox", "external_id"], name="identity_unique"),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}" if self.handle else self.external_id
