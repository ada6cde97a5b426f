"""Why intake refuses: errors of the use cases, with no HTTP status.

The edge (`register_errors` in `web/app.py`) turns each into its status:
Invalid 422, NotFound 404, NotAllowed 403, Conflict 409, TooMany 429.
`code` names the message shown (in the reader's language), `values` fill
it in.
"""

from __future__ import annotations


class Refusal(Exception):
    code = "refused"

    def __init__(self, code: str | None = None, **values):
        super().__init__(code or self.code)
        self.code = code or self.code
        self.values = values


class NotFound(Refusal):
    code = "not_found"


class NotAllowed(Refusal):
    code = "forbidden"


class Conflict(Refusal):
    code = "conflict"


class TooMany(Refusal):
    code = "rate_limited"


class Invalid(Exception):
    """Input that does not validate: `{"field": ["message", ...]}`, in English
    (translated at the edge)."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors
