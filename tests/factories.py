"""factory_boy factories: the only way tests make rows."""

import factory
from django.utils import timezone

from webcare.accounts.models import Account, Membership, Role, Team, User
from webcare.channels.models import RawInboundEvent
from webcare.contacts.models import Contact, ContactIdentity
from webcare.conversations.models import Conversation, Label, Message
from webcare.inboxes.models import Inbox, InboxKind, MessageTemplate


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Brand {n}")


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a password of 'secret-pass-1' and, given `account`, a membership."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    language = "en"
    password = factory.django.Password("secret-pass-1")

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> User:
        role = kwargs.pop("role", Role.AGENT)
        account = kwargs.pop("account", None)
        user = super()._create(model_class, *args, **kwargs)
        if account is not None:
            Membership.objects.create(user=user, account=account, role=role)
        return user


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class InboxFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inbox

    account = factory.SubFactory(AccountFactory)
    kind = InboxKind.API
    name = factory.Sequence(lambda n: f"Inbox {n}")


class MessageTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageTemplate

    inbox = factory.SubFactory(InboxFactory, kind=InboxKind.WHATSAPP)
    name = factory.Sequence(lambda n: f"template_{n}")
    language = "nl"
    category = "UTILITY"
    body = "Hallo {{1}}, reageer op dit bericht over {{2}}."


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")


class ContactIdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactIdentity

    contact = factory.SubFactory(ContactFactory)
    inbox = factory.SubFactory(InboxFactory)
    external_id = factory.Sequence(lambda n: f"ext-{n}")
    handle = factory.Sequence(lambda n: f"handle{n}")


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"label-{n}")


class ConversationFactory(factory.django.DjangoModelFactory):
    """A bare conversation; tests that need messages ingest them through the real path."""

    class Meta:
        model = Conversation

    account = factory.SelfAttribute("inbox.account")
    inbox = factory.SubFactory(InboxFactory)
    contact = factory.SubFactory(ContactFactory, account=factory.SelfAttribute("..account"))
    display_id = factory.Sequence(lambda n: n + 1000)
    kind = "public_thread"
    last_activity_at = factory.LazyFunction(timezone.now)


class RawInboundEventFactory(factory.django.DjangoModelFactory):
    """A stored, not yet processed delivery; process it with channels.actions."""

    class Meta:
        model = RawInboundEvent

    inbox = factory.SubFactory(InboxFactory)
    source = "api"
    dedupe_key = factory.Sequence(lambda n: f"id:event-{n}")
    payload = "{}"


class MessageFactory(factory.django.DjangoModelFactory):
    """A customer message as it is stored after ingest, waiting for a reply (triage tests)."""

    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    account = factory.SelfAttribute("conversation.account")
    inbox = factory.SelfAttribute("conversation.inbox")
    sender_identity = factory.SubFactory(
        ContactIdentityFactory,
        contact=factory.SelfAttribute("..conversation.contact"),
        inbox=factory.SelfAttribute("..conversation.inbox"),
    )
    direction = "inbound"
    kind = "message"
    external_id = factory.Sequence(lambda n: f"msg-{n}")
    text = "Hello"
    public = True
    created_at = factory.LazyFunction(timezone.now)
    reply_state = "waiting"
