"""The reader's language, and the words of the pages and error bodies in it.

The words are English message ids translated by the app's gettext catalogs
(`shared/i18n.py`, kept in `app.extensions["catalogs"]`); templates call
`_("...")`, Python code marks its words with `N_` and translates them here.
"""

from __future__ import annotations

from babel import Locale
from babel.numbers import format_decimal, format_percent
from flask import current_app, g, request

from services.intake.translated_schemas import Schemas
from shared.i18n import DEFAULT, LANGUAGES, Catalogs
from shared.payloads import TIMEZONES
from shared.statuses import DAY_LABELS, FORMAT_LABELS, STATUS_LABELS


def locale() -> str:
    """?lang= (remembered in a cookie by the pages), else the cookie, else Accept-Language."""
    if "locale" not in g:
        chosen = request.args.get("lang") or request.cookies.get("lang")
        if chosen not in LANGUAGES:
            chosen = request.accept_languages.best_match(LANGUAGES) or DEFAULT
        g.locale = chosen
    return g.locale


def number(value, digits: int = 1) -> str:
    """A number as the reader writes it: "3,3" in French, "3.3" in English,
    at most `digits` decimals."""
    return format_decimal(value, format="#,##0." + "#" * digits, locale=locale())


def percent(ratio: float) -> str:
    """0.58 as "58 %" in French (a narrow no-break space), "58%" in English."""
    return format_percent(ratio, locale=locale())


READER_ZONE_COOKIE = "tz"  # set by static/zone.js from the browser's zone
DEFAULT_READER_ZONE = "Europe/Paris"


def reader_zone() -> str:
    """The reader's time zone as their browser said it, else Paris time."""
    zone = request.cookies.get(READER_ZONE_COOKIE, "")
    return zone if zone in TIMEZONES else DEFAULT_READER_ZONE


def catalogs() -> Catalogs:
    return current_app.extensions["catalogs"]


def schemas() -> Schemas:
    """The app's schemas, one instance per language (`translated_schemas`)."""
    return current_app.extensions["schemas"]


def gettext(msgid: str) -> str:
    return catalogs().gettext(locale(), msgid)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogs().ngettext(locale(), singular, plural, n)


def translated(errors):
    """`{"field": ["message", ...]}` (nested as marshmallow nests it) with each
    message that is a message id in the reader's language."""
    if isinstance(errors, dict):
        return {k: translated(v) for k, v in errors.items()}
    if isinstance(errors, list):
        return [translated(v) for v in errors]
    message = str(errors)
    return gettext(message) if message else message


def status_label(code: str) -> str:
    return gettext(STATUS_LABELS[code]) if code in STATUS_LABELS else code


def format_label(code: str) -> str:
    return gettext(FORMAT_LABELS[code]) if code in FORMAT_LABELS else code


def day_label(code: str) -> str:
    return gettext(DAY_LABELS[code]) if code in DAY_LABELS else code


def field_label(slug: str) -> str:
    return current_app.extensions["taxonomy"].label(slug, locale())


def when(moment, tz: str) -> str:
    """A time as the reader reads it: in their language, in zone `tz`."""
    return current_app.extensions["catalogs"].when(moment, tz, locale())


def reason_label(text: str | None) -> str:
    """A reason the service gives (shared.statuses), in the reader's language;
    a person's own words as they wrote them."""
    return gettext(text) if text else ""


def language_label(code: str) -> str:
    """An ISO 639-1 language named in the reader's language ("allemand",
    "German"); the code where Babel does not know it."""
    name = Locale.parse(locale()).languages.get(code)
    return name[:1].upper() + name[1:] if name else code


def language_name(lang: str) -> str:
    """The language's name in itself ("Français", "English")."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]
