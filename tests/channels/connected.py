"""Inboxes connected to a platform stand-in: credentials and API base pointing at it."""

from tests.factories import InboxFactory
from webcare.accounts.models import Account
from webcare.inboxes.models import Inbox
from webcare.sandbox.standins.facebook import FacebookStandIn
from webcare.sandbox.standins.instagram import InstagramStandIn
from webcare.sandbox.standins.whatsapp import WhatsAppStandIn
from webcare.sandbox.standins.x import XStandIn


def x_inbox(account: Account, standin: XStandIn, **settings: object) -> Inbox:
    return InboxFactory(
        account=account,
        kind="x",
        name="@ParkeerCentraal",
        handle=standin.username,
        settings={
            "consumer_secret": standin.consumer_secret,
            "user_id": standin.user_id,
            "bearer_token": standin.bearer_token,
            "api_base": standin.url,
            **settings,
        },
    )


def facebook_inbox(account: Account, standin: FacebookStandIn) -> Inbox:
    return InboxFactory(
        account=account,
        kind="facebook",
        name="Facebook Parkeergarage",
        settings={
            "app_secret": standin.app_secret,
            "page_id": standin.page_id,
            "access_token": standin.access_token,
            "api_base": standin.api_base,
        },
    )


def instagram_inbox(account: Account, standin: InstagramStandIn) -> Inbox:
    return InboxFactory(
        account=account,
        kind="instagram",
        name="Instagram Parkeergarage",
        settings={
            "app_secret": standin.app_secret,
            "ig_user_id": standin.ig_user_id,
            "access_token": standin.access_token,
            "api_base": standin.api_base,
        },
    )


WHATSAPP_VERIFY_TOKEN = "meatyhamhock"


def whatsapp_inbox(account: Account, standin: WhatsAppStandIn, **settings: object) -> Inbox:
    return InboxFactory(
        account=account,
        kind="whatsapp",
        name="WhatsApp Klantenservice",
        settings={
            "app_secret": standin.app_secret,
            "verify_token": WHATSAPP_VERIFY_TOKEN,
            "phone_number_id": standin.phone_number_id,
            "waba_id": standin.waba_id,
            "access_token": standin.access_token,
            "api_base": standin.api_base,
            **settings,
        },
    )
