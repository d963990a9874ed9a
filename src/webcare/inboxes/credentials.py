"""Channel credentials encrypted at rest.

Tokens and app secrets in an inbox's settings would let anyone with a copy of the database
post as the brand, so they are stored as Fernet tokens (`enc:v1:...`, AES-128-CBC with an
HMAC, from the `cryptography` package) and decrypted only where a connector uses them.

The key comes from the environment: `WEBCARE_CREDENTIALS_KEY`, one or more Fernet keys
separated by commas (the first encrypts, all decrypt, so a key can be rotated). Without it the
key is derived from SECRET_KEY, which production already requires; a dedicated key means a
leaked SECRET_KEY alone does not open the credentials.

Values written before encryption existed (or by tests) are plain strings and are read as they
are; the next write encrypts them.
"""

import base64
import hashlib
import os
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from webcare.core.errors import ActionError

PREFIX = "enc:v1:"
# Settings that hold a credential, across every kind of inbox.
SECRET_SETTINGS = frozenset(
    {"consumer_secret", "bearer_token", "app_secret", "access_token", "verify_token", "password"}
)
ENV_KEY = "WEBCARE_CREDENTIALS_KEY"


@cache
def _fernet() -> MultiFernet:
    configured = [k.strip() for k in os.environ.get(ENV_KEY, "").split(",") if k.strip()]
    if configured:
        try:
            return MultiFernet([Fernet(key) for key in configured])
        except ValueError as exc:
            raise ActionError(
                f"{ENV_KEY} must be Fernet keys (32 url-safe base64 bytes each); make one with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`."
            ) from exc
    derived = hashlib.sha256(b"webcare-credentials:" + settings.SECRET_KEY.encode()).digest()
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived))])


def is_encrypted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def encrypt(value: str) -> str:
    return PREFIX + _fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    try:
        return _fernet().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ActionError(
            f"A stored credential cannot be decrypted with the current key; set {ENV_KEY} to "
            "the key it was saved with (keys may be listed comma-separated), or enter the "
            "credential again."
        ) from None


def seal(settings_dict: dict[str, object]) -> dict[str, object]:
    """The settings as stored: every credential encrypted, everything else as it is."""
    return {
        key: encrypt(str(value))
        if key in SECRET_SETTINGS and value not in ("", None) and not is_encrypted(value)
        else value
        for key, value in settings_dict.items()
    }


def reveal(value: object) -> object:
    """A stored setting as the connector needs it."""
    return decrypt(value) if is_encrypted(value) else value


def masked(settings_dict: dict[str, object]) -> dict[str, object]:
    """The settings to show a person: credentials hidden, except for their last characters."""
    shown: dict[str, object] = {}
    for key, value in settings_dict.items():
        if key in SECRET_SETTINGS and value not in ("", None):
            plain = str(reveal(value))
            shown[key] = "…" + plain[-4:] if len(plain) > 8 else "…"
        else:
            shown[key] = value
    return shown
