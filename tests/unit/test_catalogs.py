"""Every message of the code and the templates is translated in every catalog.

The messages are extracted as `make messages` extracts them (babel.cfg), so a
new `_("...")` without its translation fails here, not in someone's inbox."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from shared import i18n
from shared.i18n import DEFAULT, LANGUAGES, LOCALE_DIR, SOURCE, Catalogs

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [lang for lang in LANGUAGES if lang != SOURCE]


def visible(dirpath: str) -> bool:
    name = Path(dirpath).name
    return not name.startswith(".") and name != "__pycache__"


def extracted() -> dict[str | tuple[str, str], list[str]]:
    """Each message (a plural as its two forms) with where it is written."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: dict = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, directory_filter=visible
    ):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


def catalog(lang: str):
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=lang)


@pytest.fixture(scope="module")
def messages():
    return extracted()


def test_messages_are_found_in_code_and_templates(messages):
    ids = {m if isinstance(m, str) else m[0] for m in messages}
    assert {"Hello %(name)s,", "Network interviews", "Video call"} <= ids
    assert ("%(num)s minute", "%(num)s minutes") in messages


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(messages, lang):
    translations = catalog(lang)
    missing = []
    for message, where in sorted(messages.items(), key=str):
        key = message if isinstance(message, str) else message[0]
        entry = translations.get(key)
        strings = entry.string if entry else None
        strings = strings if isinstance(strings, tuple) else (strings,)
        if (
            entry is None
            or entry.fuzzy
            or not all(strings)
            or (
                not isinstance(message, str)
                and len(strings) != translations.num_plurals
            )
        ):
            missing.append(f"{key!r} ({', '.join(where)})")
    assert not missing, (
        f"untranslated in {lang} (run `make messages`, translate"
        f" shared/locale/{lang}/LC_MESSAGES/messages.po):\n  " + "\n  ".join(missing)
    )


def test_the_template_holds_every_message(messages):
    with open(LOCALE_DIR / "messages.pot", "rb") as pot:
        template = read_po(pot)
    stale = [m for m in messages if (m if isinstance(m, str) else m[0]) not in template]
    assert not stale, f"run `make messages`: messages.pot lacks {stale}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_catalog_compiles(lang):
    translations = catalog(lang)
    errors = [
        f"line {message.lineno}: {error}"
        for message, problems in translations.check()
        for error in problems
    ]
    assert not errors
    compiled = io.BytesIO()
    write_mo(compiled, translations)
    compiled.seek(0)
    loaded = Translations(compiled)
    assert (
        loaded.gettext("Network interviews")
        == translations["Network interviews"].string
    )


def test_languages_come_from_the_catalog_folders(tmp_path):
    assert LANGUAGES == ("fr", "en") and DEFAULT == "fr"
    german = tmp_path / "de" / "LC_MESSAGES"
    german.mkdir(parents=True)
    shutil.copytree(LOCALE_DIR / "fr", tmp_path / "fr")
    with open(german / "messages.po", "wb") as po:
        po.write(b'msgid ""\nmsgstr ""\n"Language: de\\n"\n\n')
        po.write(b'msgid "Phone"\nmsgstr "Telefon"\n')
    with (
        open(german / "messages.po", "rb") as po,
        open(german / "messages.mo", "wb") as mo,
    ):
        write_mo(mo, read_po(po, locale="de"))
    assert i18n.languages(tmp_path) == ("fr", "de", "en")
    assert Catalogs(tmp_path).gettext("de", "Phone") == "Telefon"


def test_catalogs_translate_and_fall_back():
    catalogs = Catalogs()
    assert catalogs.languages == LANGUAGES
    assert catalogs.gettext("fr", "Video call") == "Visioconférence"
    assert catalogs.gettext("en", "Video call") == "Video call"
    assert catalogs.gettext("fr-CA", "Phone") == "Téléphone"
    assert catalogs.language("xx") == catalogs.language(None) == DEFAULT
    assert catalogs.gettext("xx", "Phone") == "Téléphone"
    assert catalogs.ngettext("en", "%(num)s minute", "%(num)s minutes", 1) == (
        "%(num)s minute"
    )
    assert catalogs.ngettext("fr", "%(num)s minute", "%(num)s minutes", 30) == (
        "%(num)s minutes"
    )


def test_a_catalog_that_was_not_compiled_says_so(tmp_path):
    (tmp_path / "fr" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(
        LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po",
        tmp_path / "fr" / "LC_MESSAGES",
    )
    with pytest.raises(FileNotFoundError, match="make catalogs"):
        Catalogs(tmp_path)


def test_french_puts_a_narrow_no_break_space_before_high_punctuation():
    """ "Quand : …", "Motif : …", "Accepter ?": U+202F before : ; ? ! and
    inside « », never a plain or an ordinary no-break space, nor none."""
    import re

    with open(LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    wrong = [
        text
        for message in catalog
        if message.id
        for text in (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        if re.search(r"(?:[ \u00a0]|[^\W\d_])[:;?!](?=\s|$|\))|« | »", text)
    ]
    assert wrong == []
