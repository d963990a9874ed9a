"""The websocket of an open inbox: conversation events out, presence both ways.

Thin on purpose: it checks who may listen, joins the account's group and relays. What an
event means and what presence looks like live in `conversations.live`; the browser
(static/web/live.js) re-fetches pages over HTTP, so nothing here renders or reads customers.
"""

import secrets
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.http import Http404

from webcare.accounts.access import access_account
from webcare.accounts.models import User
from webcare.channels import webchat
from webcare.conversations import live

# Close code for "not logged in or not a member": the browser stops reconnecting.
FORBIDDEN = 4403
# Channel layers drop a group membership after `group_expiry` (a day by default); a tab open
# through a long shift renews its own on a heartbeat, well before that.
REJOIN_SECONDS = 3600.0


@database_sync_to_async
def _may_listen(user: User, account_id: int) -> bool:
    try:
        access_account(user, account_id)
    except Http404:
        return False
    return True


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """One browser tab's connection to `ws/a/<account_id>/`."""

    group = ""
    socket_id = ""
    viewing: int | None = None
    joined_at = 0.0

    async def connect(self) -> None:
        user = self.scope.get("user")
        account_id = self.scope["url_route"]["kwargs"]["account_id"]
        # Accept first: a refusal before accepting reaches the browser as a bare HTTP 403,
        # without the close code that tells it not to retry.
        await self.accept()
        if not isinstance(user, User) or not await _may_listen(user, account_id):
            await self.close(code=FORBIDDEN)
            return
        live.note_server_loop()
        self.group = live.account_group(account_id)
        self.socket_id = secrets.token_urlsafe(8)
        await self._join()

    async def disconnect(self, code: int) -> None:
        if not self.group:
            return
        if self.viewing is not None:
            await self._relay({"conversation": self.viewing, "state": "left"})
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not self.group:
            return
        if time.monotonic() - self.joined_at > REJOIN_SECONDS:
            await self._join()
        if isinstance(content, dict) and content.get("type") == "presence":
            await self._relay(content)

    async def _join(self) -> None:
        self.joined_at = time.monotonic()
        await self.channel_layer.group_add(self.group, self.channel_name)

    async def _relay(self, payload: dict[str, Any]) -> None:
        event = live.presence_event(self.scope["user"], self.socket_id, payload)
        if event is None:
            return
        if event["state"] != "hello":
            self.viewing = None if event["state"] == "left" else event["conversation"]
        await self.channel_layer.group_send(self.group, event)
        if event["state"] == "typing":
            await self._tell_visitor(event)

    async def _tell_visitor(self, event: dict[str, Any]) -> None:
        """An agent typing in a web chat conversation: the visitor sees it too."""
        if not hasattr(self, "_visitor_groups"):
            self._visitor_groups: dict[int, str | None] = {}
        display_id = int(event["conversation"])
        if display_id not in self._visitor_groups:
            account_id = self.scope["url_route"]["kwargs"]["account_id"]
            self._visitor_groups[display_id] = await database_sync_to_async(
                webchat.visitor_group_of
            )(account_id, display_id)
        group = self._visitor_groups[display_id]
        if group:
            first_name = self.scope["user"].first_name or self.scope["user"].username
            await self.channel_layer.group_send(group, {"type": "chat.typing", "name": first_name})

    async def conversation_changed(self, event: dict[str, Any]) -> None:
        await self.send_json({**event, "type": "conversation"})

    async def presence_relay(self, event: dict[str, Any]) -> None:
        await self.send_json({**event, "type": "presence"})
