"""Secrets at rest: a host's calendar address and password are stored
encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`),
under a key derived with HKDF-SHA256 from CALENDAR_KEY, a secret only
intake is given (the matcher and the notifier, which never read calendars,
cannot open them), and this installation's own salt (`installation.salt`,
random, made by the migrations): a database dump alone, or with the other
services' settings, opens nothing.

Secrets sealed under the key of earlier versions (derived from SECRET_KEY,
without a salt) are still opened, and sealed again under the current key by
the next read (`Opened.stale`). Changing CALENDAR_KEY makes stored
calendars unreadable: hosts then connect them again.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PURPOSE = b"matchmaker host calendar secrets v2"
_EARLIER = b"matchmaker host calendar secrets v1"


class Unreadable(Exception):
    """The secret was sealed under another key, or altered."""


@dataclass(frozen=True)
class Opened:
    value: dict
    stale: bool  # sealed under an earlier key: seal it again


def _fernet(material: bytes, salt: bytes | None, purpose: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=purpose).derive(
        material
    )
    return Fernet(base64.urlsafe_b64encode(key))


class Vault:
    """`salt`: the installation's salt, or a callable that reads it (once,
    when first needed: the database may be down when the process starts)."""

    def __init__(
        self,
        calendar_key: str,
        salt: bytes | Callable[[], bytes],
        earlier_secret_key: str | None = None,
    ):
        self._key = calendar_key.encode()
        self._salt = salt
        self._current: Fernet | None = None
        self._earlier = (
            _fernet(earlier_secret_key.encode(), None, _EARLIER)
            if earlier_secret_key
            else None
        )

    def _fernet(self) -> Fernet:
        if self._current is None:
            salt = self._salt() if callable(self._salt) else self._salt
            self._current = _fernet(self._key, bytes(salt), _PURPOSE)
        return self._current

    def seal(self, value: dict) -> bytes:
        return self._fernet().encrypt(json.dumps(value).encode())

    def open(self, token: bytes) -> Opened:
        try:
            return Opened(json.loads(self._fernet().decrypt(bytes(token))), False)
        except InvalidToken:
            pass
        if self._earlier is not None:
            try:
                return Opened(json.loads(self._earlier.decrypt(bytes(token))), True)
            except InvalidToken:
                pass
        raise Unreadable()
