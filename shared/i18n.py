"""The project's languages and their gettext message catalogs (Babel).

English is the source language: code and templates are written in English and
those English strings are the message ids. Every other language has one
catalog, `shared/locale/<lang>/LC_MESSAGES/messages.po`, compiled to
`messages.mo` by `make catalogs` (the compiled files are not committed).
Adding a language is adding its catalog folder; `LANGUAGES` follows.

In Python, mark a message with `N_("...")` where it is written (so that
`make messages` extracts it) and translate it where it is used, with
`Catalogs.gettext(lang, msgid)`. Templates use `_()` / `ngettext()` with
Jinja's i18n extension, fed by `Catalogs.translations(lang)`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
SOURCE = "en"  # the language of the message ids: needs no catalog
DEFAULT = "fr"  # for an unknown or missing language


def N_(message: str) -> str:
    """Marks `message` for extraction; it is translated later, where it is shown."""
    return message


def languages(directory: Path = LOCALE_DIR) -> tuple[str, ...]:
    """The default language first, then the others (English and one per catalog)."""
    found = {
        p.parents[1].name for p in Path(directory).glob(f"*/LC_MESSAGES/{DOMAIN}.po")
    }
    return (DEFAULT, *sorted((found | {SOURCE}) - {DEFAULT}))


LANGUAGES = languages()

# Translators: a CLDR date pattern, as Babel reads it; words between single
# quotes are written as they are.
WHEN = N_("EEEE d MMMM y 'at' HH:mm")


class Catalogs:
    """The compiled catalogs of `directory`, loaded once: build one and pass it on."""

    def __init__(self, directory: Path = LOCALE_DIR):
        self.languages = languages(directory)
        self._translations: dict[str, NullTranslations] = {}
        for lang in self.languages:
            self._translations[lang] = (
                NullTranslations() if lang == SOURCE else _load(directory, lang)
            )

    def language(self, lang: str | None) -> str:
        """`lang` if it is ours ("fr-CA" counts as "fr"), else DEFAULT."""
        primary = (lang or "").replace("_", "-").split("-")[0].lower()
        return primary if primary in self._translations else DEFAULT

    def translations(self, lang: str | None) -> NullTranslations:
        return self._translations[self.language(lang)]

    def gettext(self, lang: str | None, msgid: str) -> str:
        return self.translations(lang).gettext(msgid)

    def when(self, moment, tz: str, lang: str | None) -> str:
        """A moment (an aware datetime or its ISO text) in zone `tz`, written
        in `lang` ("mardi 1 décembre 2026 à 15:00"), the zone named after it:
        the one way the service writes a time, in emails and on pages."""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        lang = self.language(lang)
        local = moment.astimezone(ZoneInfo(tz))
        return f"{format_datetime(local, self.gettext(lang, WHEN), locale=lang)} ({tz})"

    def ngettext(self, lang: str | None, singular: str, plural: str, n: int) -> str:
        return self.translations(lang).ngettext(singular, plural, n)


def _load(directory: Path, lang: str) -> Translations:
    mo = Path(directory) / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not mo.is_file():
        raise FileNotFoundError(
            f"{mo} is missing: compile the catalogs with `make catalogs`"
        )
    with mo.open("rb") as fp:
        return Translations(fp, domain=DOMAIN)
