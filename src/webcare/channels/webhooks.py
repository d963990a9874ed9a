"""Webhook endpoints: verify, store, process. Thin on purpose; the work is in actions."""

import hashlib
import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from webcare.channels.actions import ingest
from webcare.channels.adapters import api, x
from webcare.channels.adapters.base import PayloadError
from webcare.channels.models import EventState
from webcare.inboxes.models import Inbox, InboxKind


def _error(status: int, message: str, field: str | None = None) -> JsonResponse:
    body = {"error": message}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status)


@csrf_exempt
@require_POST
def api_webhook(request: HttpRequest, token: str) -> JsonResponse:
    """`POST /hooks/api/<token>`: a signed message for a generic API inbox."""
    inbox = Inbox.objects.filter(token=token, kind=InboxKind.API).first()
    if inbox is None:
        return _error(404, "No API inbox has this webhook token.")
    body = request.body
    if not api.signature_valid(inbox.secret, body, request.headers.get(api.SIGNATURE_HEADER)):
        return _error(
            401,
            f"Missing or wrong {api.SIGNATURE_HEADER}: expected sha256=<hex HMAC-SHA256 of the "
            "raw body with the inbox secret>.",
        )
    try:
        api.parse(body)
    except PayloadError as exc:
        return _error(400, f"{exc.field} {exc.message}", exc.field)
    dedupe_key = _dedupe_key(body)
    result = ingest(inbox, "api", dedupe_key, body.decode())
    if result.event.state == EventState.FAILED:
        # Stored with its reason for an admin; the sender need not redeliver.
        return JsonResponse(
            {"status": "stored", "event": result.event.pk, "error": result.event.error},
            status=202,
        )
    return JsonResponse(
        {
            "status": "processed" if result.stored else "duplicate",
            "event": result.event.pk,
            "messages": [m.pk for m in result.messages],
        },
        status=200,
    )


def _dedupe_key(body: bytes) -> str:
    """The sender's message id: a redelivery of the same message is the same event."""
    try:
        return f"id:{json.loads(body)['id']}"
    except (ValueError, KeyError, TypeError):
        return "sha256:" + hashlib.sha256(body).hexdigest()


@csrf_exempt
def x_webhook(request: HttpRequest, token: str) -> JsonResponse:
    """`/hooks/x/<token>`: X's CRC challenge (GET) and its signed events (POST).

    Each post or DM in a delivery is stored under X's own id before anything else happens, so
    a redelivery, or the same post found again by polling, is recognised.
    """
    inbox = Inbox.objects.filter(token=token, kind=InboxKind.X).first()
    if inbox is None:
        return _error(404, "No X inbox has this webhook token.")
    secret = str(inbox.setting("consumer_secret") or "")
    if not secret:
        return _error(403, "This X inbox has no consumer_secret, so no request can be verified.")
    if request.method == "GET":
        return _x_crc(request, secret)
    if request.method != "POST":
        return _error(405, "Use GET for the CRC challenge or POST for events.")
    return _x_events(request, inbox, secret)


def _x_crc(request: HttpRequest, secret: str) -> JsonResponse:
    crc_token = request.GET.get("crc_token")
    if not crc_token:
        return _error(400, "crc_token is required.", "crc_token")
    return JsonResponse(x.crc_response(secret, crc_token))


def _x_events(request: HttpRequest, inbox: Inbox, secret: str) -> JsonResponse:
    body = request.body
    if not x.signature_valid(secret, body, request.headers.get(x.SIGNATURE_HEADER)):
        return _error(
            401,
            f"Missing or wrong {x.SIGNATURE_HEADER}: expected sha256=<base64 HMAC-SHA256 of the "
            "raw body with the consumer secret>.",
        )
    try:
        items = x.split_webhook(body, str(inbox.setting("user_id") or ""))
    except PayloadError as exc:
        return _error(400, f"{exc.field} {exc.message}", exc.field)
    results = [ingest(inbox, x.SOURCE, item.dedupe_key, item.payload) for item in items]
    return JsonResponse(
        {
            "stored": sum(result.stored for result in results),
            "duplicates": sum(not result.stored for result in results),
            "failed": [r.event.pk for r in results if r.event.state == EventState.FAILED],
        }
    )
