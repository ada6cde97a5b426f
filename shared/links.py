"""Signed, expiring links in emails (accept or decline an invitation, ...).

The notifier builds them, intake checks them; both share SECRET_KEY. A token
names one action on one match, and stops working after its max age.
"""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "email-link"
ACTIONS = ("accept", "decline", "useful", "not-useful")


class BadLink(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "expired" or "invalid"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, action: str, match_id, who: str = "host") -> str:
    if action not in ACTIONS:
        raise ValueError(action)
    return _serializer(secret_key).dumps({"a": action, "m": str(match_id), "w": who})


def read_token(secret_key: str, token: str, max_age_s: float) -> tuple[str, str, str]:
    """Return (action, match_id, who: "host" or "requester"), or raise BadLink."""
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age_s)
    except SignatureExpired:
        raise BadLink("expired") from None
    except BadSignature:
        raise BadLink("invalid") from None
    if (
        not isinstance(data, dict)
        or data.get("a") not in ACTIONS
        or not isinstance(data.get("m"), str)
        or data.get("w") not in ("host", "requester")
    ):
        raise BadLink("invalid")
    return data["a"], data["m"], data["w"]


def url(
    base_url: str, secret_key: str, action: str, match_id, who: str = "host"
) -> str:
    return f"{base_url}/l/{make_token(secret_key, action, match_id, who)}"
