"""Who is calling: the SSO proxy's headers (AUTH_MODE=proxy, and dev), the
session of a sign-in with the OpenID Connect provider (oidc), a bearer
token (API_TOKENS, or in oidc mode the provider's access tokens), or (dev
mode only) the session of the dev sign-in page; and the staff roles their
groups give (ops, hr, audit)."""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from functools import wraps

from flask import current_app, g, request, session
from marshmallow import ValidationError, validate

_EMAIL = validate.Email()


def valid_email(text: str) -> bool:
    """What every part of the service can carry and mail: an ASCII address
    that marshmallow's check (the one on events) accepts."""
    if not text or len(text) > 254 or not text.isascii():
        return False
    try:
        _EMAIL(text)
    except ValidationError:
        return False
    return True


OPS, HR, AUDIT = "ops", "hr", "audit"
ROLES = (OPS, HR, AUDIT)  # the staff roles, from OPS_GROUP, HR_GROUP, AUDIT_GROUP


@dataclass(frozen=True)
class Identity:
    email: str
    groups: tuple[str, ...] = ()
    via: str = "proxy"
    roles: tuple[str, ...] = ()  # of ROLES, from the groups (`roles_of`)

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_staff(self) -> bool:
        return bool(self.roles)


def roles_of(groups, settings) -> tuple[str, ...]:
    """The staff roles the groups give: OPS_GROUP the pipeline, HR_GROUP
    the programme and people's data, AUDIT_GROUP the access trail."""
    named = {
        OPS: settings.ops_group,
        HR: settings.hr_group,
        AUDIT: settings.audit_group,
    }
    return tuple(role for role in ROLES if named[role] in groups)


def _identity(email: str, groups, via: str, settings) -> Identity:
    groups = tuple(groups)
    return Identity(email, groups, via, roles_of(groups, settings))


class Unauthenticated(Exception):
    pass


class Forbidden(Exception):
    pass


def _from_proxy(settings) -> Identity | None:
    if settings.auth_mode == "oidc":
        return None
    user = request.headers.get(settings.proxy_user_header, "").strip()
    if not user:
        return None
    if settings.auth_mode == "proxy":
        try:
            remote = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            return None
        if not any(remote in net for net in settings.trusted_proxies):
            return None
    if not valid_email(user):
        return None
    groups = tuple(
        g.strip()
        for g in request.headers.get(settings.proxy_groups_header, "").split(",")
        if g.strip()
    )
    return _identity(user.lower(), groups, "proxy", settings)


def _from_token(settings) -> Identity | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    given = header[7:].strip()
    for token, (who, groups) in settings.api_tokens.items():
        if hmac.compare_digest(token.encode(), given.encode()):
            if not valid_email(who):
                return None
            return _identity(who.lower(), groups, "token", settings)
    if settings.auth_mode == "oidc":
        person = current_app.extensions["oidc"].identity_of(given, valid_email)
        if person is not None:
            return _identity(person.email, person.groups, "oidc-token", settings)
    raise Unauthenticated()  # a token, not ours: never fall back to headers


def _from_oidc_session(settings) -> Identity | None:
    if settings.auth_mode != "oidc":
        return None
    from services.intake.web import sign_in

    person = sign_in.signed_in()
    return person and _identity(person.email, person.groups, "oidc", settings)


def _from_dev_session(settings) -> Identity | None:
    if settings.auth_mode != "dev" or not session.get("dev_user"):
        return None
    return _identity(
        session["dev_user"], session.get("dev_groups", ()), "dev-session", settings
    )


def current() -> Identity | None:
    if "identity" not in g:
        settings = current_app.extensions["runtime"].settings
        g.identity = (
            _from_token(settings)
            or _from_proxy(settings)
            or _from_oidc_session(settings)
            or _from_dev_session(settings)
        )
    return g.identity


def shown() -> Identity | None:
    """Who the page shows as signed in: nobody when the credentials given
    do not hold (an error page renders whatever the request carried)."""
    try:
        return current()
    except Unauthenticated:
        return None


def require() -> Identity:
    who = current()
    if who is None:
        raise Unauthenticated()
    return who


def require_role(*roles: str) -> None:
    """A member of one of `roles` (401 for nobody, 403 for the others); a
    blueprint's `before_request` as it is (it answers nothing)."""
    if not any(require().has(r) for r in roles):
        raise Forbidden()


def require_staff() -> None:
    """Any staff role: what every route of /ops asks first."""
    if not require().is_staff:
        raise Forbidden()


def role_required(*roles: str):
    """A route for the members of `roles` only."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            require_role(*roles)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        require()
        return view(*args, **kwargs)

    return wrapper
