"""The REST API root; routers live beside it, one module per resource.

Every endpoint needs `Authorization: Bearer <token>` (`webcare token create <username>`).
Every error answers `{"error": "<message>", "field": "<request field or null>"}`, whatever
raised it, so an integrator needs one error path: ActionError keeps its status, a bad or
missing token is 401, anything outside the caller's accounts is 404, and a request that does
not match the schema is 422 naming the first field that is wrong.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from webcare.api import availability, conversations, drafts, me, messages, team
from webcare.api.auth import TokenAuth
from webcare.core.errors import ActionError

api = NinjaAPI(
    title="Webcare API",
    version="1",
    description=(
        "Conversations, replies and assignments of the Webcare team inbox. "
        "Authenticate with `Authorization: Bearer <token>`; create a token with "
        "`webcare token create <username>`. Errors are "
        '`{"error": "<message>", "field": "<name or null>"}`.'
    ),
    urls_namespace="api",
    auth=TokenAuth(),
    # Swagger UI comes from ninja's own static files ("ninja" in INSTALLED_APPS); without a
    # validatorUrl it also skips the badge that would fetch from validator.swagger.io, so the
    # docs work behind a firewall and tell no outside service about the server.
    docs=Swagger(settings={"validatorUrl": None}),
)

api.add_router("/v1/conversations", conversations.router)
api.add_router("/v1/conversations", drafts.router)
api.add_router("/v1/messages", messages.router)
api.add_router("/v1", me.router)
api.add_router("/v1", availability.router)
api.add_router("/v1", team.router)

# Where ninja puts a request part before the field's own path.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def _error(request: HttpRequest, status: int, message: str, field: str | None) -> HttpResponse:
    return api.create_response(request, {"error": message, "field": field}, status=status)


@api.exception_handler(ActionError)
def _action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    return _error(request, exc.status, exc.message, exc.field)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    if request.headers.get("Authorization"):
        message = "The bearer token is not valid (revoked, mistyped, or its user is inactive)."
    else:
        message = (
            "Send Authorization: Bearer <token>; create a token with "
            "`webcare token create <username>`."
        )
    return _error(request, 401, message, None)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # access_* raise "No such conversation" etc.: the same answer whether the row exists in
    # another account or not at all, so ids cannot be probed.
    return _error(request, 404, str(exc) or "Not found.", None)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja raises these itself, e.g. 400 "Cannot parse request body" for malformed JSON.
    return _error(request, exc.status_code, exc.message, None)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str | None:
    """`("body", "payload", "labels", 0)` -> "labels.0": the field as the client sent it.

    Ninja puts the body schema's parameter name after "body"; the client never sent that
    name (every endpoint here takes one body schema), so it is dropped.
    """
    parts = [str(part) for part in loc]
    source = parts.pop(0) if parts and parts[0] in _SOURCES else None
    if source == "body":
        parts = parts[1:]
    return ".".join(parts) or source


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {"loc": (), "msg": "Invalid request."}
    field = _field_name(first.get("loc", ()))
    message = str(first.get("msg", "Invalid request."))
    return _error(request, 422, f"{field}: {message}" if field else message, field)
