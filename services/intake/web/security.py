"""Headers that every answer of intake carries.

- Content-Security-Policy: scripts, styles, images and frames from this
  site only, no inline script; `frame-ancestors 'none'`, so no other page
  can frame the Accept, Decline and Cancel buttons (clickjacking).
- Referrer-Policy `same-origin`: the email-link pages carry a token in
  their address, which must never leave for another site in a Referer
  header (intake's own forms keep theirs: over HTTPS, the CSRF check wants
  a same-site Referer).
- X-Content-Type-Options `nosniff`, X-Frame-Options `DENY` (for browsers
  that predate frame-ancestors).

And one refusal at the door: a JSON body holding half of a UTF-16 pair
alone (`"\ud800"`, which JSON may escape but no text holds) does not parse
(`JSONProvider`), so no such string reaches a validator, an event or a
digest: the body gets the answer of any body that does not parse.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_wtf.csrf import CSRFProtect

from shared.payloads import SURROGATE

# Every form of intake carries its token (flask-wtf); JSON writes are
# exempt from it and checked by `same_site` instead.
csrf = CSRFProtect()


class JSONProvider(DefaultJSONProvider):
    def loads(self, s, **kwargs):
        data = super().loads(s, **kwargs)
        if _holds_surrogate(data):
            raise ValueError("a lone surrogate in a JSON string")
        return data


def _holds_surrogate(value) -> bool:
    """Whether any string of `value` (keys too) holds a lone surrogate; a
    walk with its own stack, however deep the body nests."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            if SURROGATE.search(v):
                return True
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str:
    """scheme://host[:port], lower-case, a scheme's own port left out (as
    browsers write an Origin)."""
    parts = urlsplit(url.strip().lower())
    try:
        port = parts.port
    except ValueError:
        return ""
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    if port is None or DEFAULT_PORTS.get(parts.scheme) == port:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def same_site(headers, public_base_url: str, api_tokens=()) -> bool:
    """Whether a write may go on, by what a browser says of where it comes
    from. A machine client with a bearer token holds no one else's session.
    A browser names the page's origin (Origin, on every cross-site write),
    which must be this site's, PUBLIC_BASE_URL, whatever the Host header
    says; a browser that sends no Origin still says, in Sec-Fetch-Site,
    whether the request comes from another site. A client that sends
    neither is not a browser: it holds no one's cookie or proxy session."""
    auth = headers.get("Authorization", "")
    if auth.lower().startswith("bearer ") and auth[7:].strip() in api_tokens:
        return True  # one of API_TOKENS: a machine client, no one's session
    origin = headers.get("Origin")
    if origin is not None:
        return origin_of(origin.rstrip("/")) == origin_of(public_base_url)
    fetched_from = headers.get("Sec-Fetch-Site")
    if fetched_from is not None:
        return fetched_from in ("same-origin", "none")
    return True


def install(app: Flask) -> None:
    @app.after_request
    def secure(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
