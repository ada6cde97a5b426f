"""Calendar secrets are sealed with a key derived from SECRET_KEY."""

import pytest

from services.intake.calendars.vault import Unreadable, Vault

SECRET = {"url": "https://calendar.example.com/private-abc123/basic.ics",
          "username": None, "password": None}  # fmt: skip


def test_a_sealed_secret_opens_with_the_same_key_only():
    token = Vault("the-first-key-0123456789").seal(SECRET)
    assert b"abc123" not in token and b"calendar.example.com" not in token
    assert Vault("the-first-key-0123456789").open(token) == SECRET
    with pytest.raises(Unreadable):
        Vault("another-key-0123456789ab").open(token)


def test_an_altered_secret_does_not_open():
    vault = Vault("the-first-key-0123456789")
    token = bytearray(vault.seal(SECRET))
    token[40] ^= 1
    with pytest.raises(Unreadable):
        vault.open(bytes(token))
