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
"""

from __future__ import annotations

from flask import Flask

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


def install(app: Flask) -> None:
    @app.after_request
    def secure(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
