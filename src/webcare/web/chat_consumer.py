"""The websocket of a chat widget: `ws/chat/<inbox token>/?v=<visitor token>&lang=nl`.

Thin like LiveConsumer: it checks the origin and the visitor token, joins the visitor's group
and relays; what a visitor is and what they may see is channels/webchat.py.

To the widget: `hello` (the visitor token to keep, the conversation so far, whether anyone
is online and what to say about it), `message` (a reply, or the visitor's own message from
another tab), `ack` (the visitor's message is stored), `typing` (an agent types), `offline_ok`
and `error`. From the widget: `message` {id, text}, `typing`, `offline` {name, email, text}.
"""

import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import translation

from webcare.channels import webchat
from webcare.channels.adapters.webchat import chat_entry, visitor_group
from webcare.conversations import live
from webcare.core.errors import ActionError
from webcare.inboxes.models import Inbox

NOT_FOUND = 4404
FORBIDDEN_ORIGIN = 4403
# A visitor may send this many messages (or offline forms) per minute on one socket.
MESSAGES_PER_MINUTE = 20
TYPING_EVERY_SECONDS = 2.0


def _origin(scope: dict[str, Any]) -> str:
    for name, value in scope.get("headers", []):
        if name == b"origin":
            return value.decode("latin-1")
    return ""


class ChatConsumer(AsyncJsonWebsocketConsumer):
    inbox: Inbox | None = None
    visitor = ""
    group = ""
    lang = "nl"
    page = ""

    async def connect(self) -> None:
        await self.accept()
        token = self.scope["url_route"]["kwargs"]["token"]
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.inbox = await database_sync_to_async(webchat.chat_inbox)(token)
        if self.inbox is None:
            await self.close(code=NOT_FOUND)
            return
        if not webchat.origin_allowed(self.inbox, _origin(self.scope)):
            await self.close(code=FORBIDDEN_ORIGIN)
            return
        live.note_server_loop()
        self.lang = webchat.language(self.inbox, (query.get("lang") or [""])[0])
        self.page = (query.get("page") or [""])[0][:500]
        known = webchat.visitor_from(self.inbox, (query.get("v") or [""])[0])
        self.visitor = known or webchat.new_visitor()
        self.group = visitor_group(self.inbox.pk, self.visitor)
        self._sent: list[float] = []
        self._typing_at = 0.0
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json(await database_sync_to_async(self._hello)())

    def _hello(self) -> dict[str, Any]:
        assert self.inbox is not None
        with translation.override(self.lang):
            status = webchat.status(self.inbox)
            return {
                "type": "hello",
                "visitor": webchat.visitor_token(self.inbox, self.visitor),
                "messages": webchat.history(self.inbox, self.visitor),
                "online": status.online,
                "status": webchat.status_text(self.inbox, status),
            }

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self._presence("left")
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.inbox is None or not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "typing":
            if time.monotonic() - self._typing_at >= TYPING_EVERY_SECONDS:
                self._typing_at = time.monotonic()
                await self._presence("typing")
        elif kind in ("message", "offline"):
            if not self._allowed():
                await self._error(None, "rate")
                return
            handler = self._message if kind == "message" else self._offline
            await handler(content)

    def _allowed(self) -> bool:
        now = time.monotonic()
        self._sent = [at for at in self._sent if now - at < 60] + [now]
        return len(self._sent) <= MESSAGES_PER_MINUTE

    async def _message(self, content: dict[str, Any]) -> None:
        try:
            entry = await database_sync_to_async(self._store_message)(content)
        except ActionError as exc:
            await self._error(content.get("id"), exc.message)
            return
        await self.send_json({"type": "ack", "id": content.get("id"), "message": entry})
        # The visitor's other tabs show it too.
        await self.channel_layer.group_send(
            self.group, {"type": "chat.message", "message": entry, "from_socket": self.channel_name}
        )

    def _store_message(self, content: dict[str, Any]) -> dict[str, Any]:
        assert self.inbox is not None
        with translation.override(self.lang):
            message = webchat.check_visitor_message(
                self.inbox, self.visitor, content.get("id"), content.get("text"), self.page
            )
        return chat_entry(message)

    async def _offline(self, content: dict[str, Any]) -> None:
        try:
            await database_sync_to_async(self._store_offline)(content)
        except ActionError as exc:
            await self._error(None, exc.message, field=exc.field)
            return
        await self.send_json({"type": "offline_ok", "email": str(content.get("email", ""))})

    def _store_offline(self, content: dict[str, Any]) -> None:
        assert self.inbox is not None
        with translation.override(self.lang):
            webchat.check_offline_message(
                self.inbox,
                self.visitor,
                name=content.get("name"),
                address=content.get("email"),
                text=content.get("text"),
                page=self.page,
            )

    async def _error(self, message_id: object, text: str, field: str | None = None) -> None:
        if text == "rate":
            with translation.override(self.lang):
                text = str(translation.gettext("Too many messages at once. Wait a minute."))
        await self.send_json({"type": "error", "id": message_id, "message": text, "field": field})

    async def _presence(self, state: str) -> None:
        event = await database_sync_to_async(self._presence_event)(state)
        if event is not None:
            await self.channel_layer.group_send(live.account_group(event.pop("account")), event)

    def _presence_event(self, state: str) -> dict[str, Any] | None:
        assert self.inbox is not None
        conversation = webchat.conversation_of(self.inbox, self.visitor)
        if conversation is None:
            return None
        event = webchat.visitor_presence(conversation, self.visitor[:12], state)
        return {**event, "account": conversation.account_id}

    # Group messages ----------------------------------------------------------------------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        if event.get("from_socket") == self.channel_name:
            return
        await self.send_json({"type": "message", "message": event["message"]})

    async def chat_typing(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "typing", "name": event.get("name", "")})
