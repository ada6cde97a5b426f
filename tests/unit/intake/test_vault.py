"""Calendar secrets are sealed under a key derived from CALENDAR_KEY (intake's
alone) and the installation's own salt: neither the key nor the salt alone
opens them, nor what the other services are given (SECRET_KEY)."""

import pytest
from cryptography.fernet import Fernet

from services.intake.calendars import vault as vaults
from services.intake.calendars.vault import Unreadable, Vault

SECRET = {"url": "https://calendar.example.com/private-abc123/basic.ics",
          "username": None, "password": None}  # fmt: skip
KEY, SALT = "the-calendar-key-0123456789", b"this installation's salt"


def test_a_sealed_secret_opens_with_the_same_key_and_salt_only():
    token = Vault(KEY, SALT).seal(SECRET)
    assert b"abc123" not in token and b"calendar.example.com" not in token
    assert Vault(KEY, SALT).open(token).value == SECRET
    with pytest.raises(Unreadable):
        Vault("another-key-0123456789ab", SALT).open(token)
    with pytest.raises(Unreadable):
        Vault(KEY, b"another installation").open(token)


def test_the_other_services_secret_key_opens_nothing():
    token = Vault(KEY, SALT, earlier_secret_key="the-secret-key-of-all").seal(SECRET)
    with pytest.raises(Unreadable):
        Vault("the-secret-key-of-all", SALT).open(token)


def test_a_secret_of_the_earlier_key_opens_and_asks_to_be_sealed_again():
    earlier = vaults._fernet(b"the-secret-key-of-all", None, vaults._EARLIER)
    token = earlier.encrypt(b'{"url": "https://x/cal.ics"}')
    opened = Vault(KEY, SALT, earlier_secret_key="the-secret-key-of-all").open(token)
    assert opened.stale and opened.value == {"url": "https://x/cal.ics"}
    assert isinstance(earlier, Fernet)


def test_the_salt_is_read_when_first_needed_only():
    reads = []
    vault = Vault(KEY, lambda: reads.append(1) or SALT)
    assert reads == []
    vault.open(vault.seal(SECRET))
    vault.seal(SECRET)
    assert reads == [1]


def test_an_altered_secret_does_not_open():
    vault = Vault(KEY, SALT)
    token = bytearray(vault.seal(SECRET))
    token[40] ^= 1
    with pytest.raises(Unreadable):
        vault.open(bytes(token))
