"""Webhook endpoints for Meta's platforms (platforms.md §2, §3): verify, store, process.

Meta retries every delivery that does not get a 200 (for days), so once a delivery is
verified and stored, the answer is 200 even when processing an item failed: the failure is on
the stored event for an admin to see and retry, and a retry from Meta would change nothing.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from webcare.channels.actions import ingest
from webcare.channels.adapters import facebook, instagram, meta, whatsapp
from webcare.channels.adapters.base import Item, PayloadError
from webcare.channels.models import EventState
from webcare.channels.whatsapp_status import apply_status_items
from webcare.inboxes.models import Inbox, InboxKind


def _error(status: int, message: str, field: str | None = None) -> JsonResponse:
    body = {"error": message}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status)


def _handshake(request: HttpRequest, inbox: Inbox) -> HttpResponse:
    """Meta's subscription check: echo `hub.challenge` only for our verify token."""
    challenge = meta.verify_subscription(str(inbox.setting("verify_token") or ""), request.GET)
    if challenge is None:
        return HttpResponse("Forbidden", status=403, content_type="text/plain")
    return HttpResponse(challenge, content_type="text/plain")


@csrf_exempt
def whatsapp_webhook(request: HttpRequest, token: str) -> HttpResponse:
    """`/hooks/whatsapp/<token>`: the subscription handshake (GET) and signed events (POST).

    Each message and status is stored under WhatsApp's own id before anything else happens,
    so a redelivery is recognised; statuses then move our replies forward.
    """
    inbox = Inbox.objects.filter(token=token, kind=InboxKind.WHATSAPP).first()
    if inbox is None:
        return _error(404, "No WhatsApp inbox has this webhook token.")
    if request.method == "GET":
        return _handshake(request, inbox)
    if request.method != "POST":
        return _error(405, "Use GET for the subscription handshake or POST for events.")
    app_secret = str(inbox.setting("app_secret") or "")
    if not app_secret:
        return _error(403, "This WhatsApp inbox has no app_secret, so no event can be verified.")
    return _events(request, inbox, app_secret)


def _unsigned(request: HttpRequest, app_secret: str) -> JsonResponse | None:
    """The 401 for a body that Meta did not sign with this app's secret, else None."""
    header = request.headers.get(meta.SIGNATURE_HEADER)
    if meta.signature_valid(app_secret, request.body, header):
        return None
    return _error(
        401,
        f"Missing or wrong {meta.SIGNATURE_HEADER}: expected sha256=<hex HMAC-SHA256 of the "
        "raw body with the app secret>.",
    )


def _events(request: HttpRequest, inbox: Inbox, app_secret: str) -> JsonResponse:
    body = request.body
    unsigned = _unsigned(request, app_secret)
    if unsigned is not None:
        return unsigned
    try:
        items = whatsapp.split_webhook(body, str(inbox.setting("phone_number_id") or ""))
    except PayloadError as exc:
        return _error(400, f"{exc.field} {exc.message}", exc.field)
    results = [ingest(inbox, whatsapp.SOURCE, item.dedupe_key, item.payload) for item in items]
    return JsonResponse(
        {
            "stored": sum(result.stored for result in results),
            "duplicates": sum(not result.stored for result in results),
            "messages": sum(len(result.messages) for result in results),
            "statuses_applied": apply_status_items(inbox, items),
            "failed": [r.event.pk for r in results if r.event.state == EventState.FAILED],
        }
    )


# Facebook Page and Instagram -------------------------------------------------------------------

Splitter = Callable[[bytes, str], list[Item]]


@csrf_exempt
def facebook_webhook(request: HttpRequest, token: str) -> HttpResponse:
    """`/hooks/facebook/<token>`: the handshake (GET) and signed Page events (POST): comments,
    visitor posts and Messenger messages, each stored under Meta's id for it."""
    return _graph_webhook(request, token, facebook.FACEBOOK, facebook.split_webhook)


@csrf_exempt
def instagram_webhook(request: HttpRequest, token: str) -> HttpResponse:
    """`/hooks/instagram/<token>`: the handshake (GET) and signed Instagram events (POST):
    comments and DMs, each stored under Meta's id for it."""
    return _graph_webhook(request, token, instagram.INSTAGRAM, instagram.split_webhook)


def _graph_webhook(
    request: HttpRequest, token: str, graph: facebook.Graph, split: Splitter
) -> HttpResponse:
    """What whatsapp_webhook does, for inboxes whose items are messages (no statuses)."""
    inbox = Inbox.objects.filter(token=token, kind=graph.inbox_kind).first()
    if inbox is None:
        return _error(404, f"No {graph.platform} inbox has this webhook token.")
    if request.method == "GET":
        return _handshake(request, inbox)
    if request.method != "POST":
        return _error(405, "Use GET for the subscription handshake or POST for events.")
    app_secret = str(inbox.setting("app_secret") or "")
    if not app_secret:
        return _error(
            403, f"This {graph.platform} inbox has no app_secret, so no event can be verified."
        )
    return _graph_events(request, inbox, app_secret, graph, split)


def _graph_events(
    request: HttpRequest, inbox: Inbox, app_secret: str, graph: facebook.Graph, split: Splitter
) -> JsonResponse:
    unsigned = _unsigned(request, app_secret)
    if unsigned is not None:
        return unsigned
    try:
        items = split(request.body, str(inbox.setting(graph.inbox_id_setting) or ""))
    except PayloadError as exc:
        return _error(400, f"{exc.field} {exc.message}", exc.field)
    results = [ingest(inbox, graph.source, item.dedupe_key, item.payload) for item in items]
    return JsonResponse(
        {
            "stored": sum(result.stored for result in results),
            "duplicates": sum(not result.stored for result in results),
            "messages": sum(len(result.messages) for result in results),
            "failed": [r.event.pk for r in results if r.event.state == EventState.FAILED],
        }
    )
