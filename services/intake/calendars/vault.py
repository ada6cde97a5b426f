"""Secrets at rest: a host's calendar address and password are stored
encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`),
under a key derived from SECRET_KEY with HKDF-SHA256. Changing SECRET_KEY
makes stored calendars unreadable: hosts then connect them again."""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_PURPOSE = b"matchmaker host calendar secrets v1"


class Unreadable(Exception):
    """The secret was sealed under another SECRET_KEY, or altered."""


class Vault:
    def __init__(self, secret_key: str):
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE
        ).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, value: dict) -> bytes:
        return self._fernet.encrypt(json.dumps(value).encode())

    def open(self, token: bytes) -> dict:
        try:
            return json.loads(self._fernet.decrypt(bytes(token)))
        except InvalidToken:
            raise Unreadable() from None
