"""Validation messages in the reader's language: marshmallow's through the
per-language schemas, ours through the catalogs at the edge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devstack import samples
from services.intake import validation
from services.intake.web import language as i18n
from shared.config import DEFAULT_FIELDS_FILE
from shared.fields import load_taxonomy

TAXONOMY = load_taxonomy(DEFAULT_FIELDS_FILE)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
START = NOW + timedelta(days=3)


def request_body(**overrides) -> dict:
    return samples.request_body(
        start=START, hours=2, **{"goal": "Discover the job", **overrides}
    )


def host_body(**overrides) -> dict:
    return samples.host_body(
        **{"languages": ["fr"], "formats": ["video"], "durations": [30], **overrides}
    )


def refused(load, *args, **kwargs) -> dict:
    with pytest.raises(validation.Invalid) as raised:
        load(*args, **kwargs)
    return raised.value.errors


def request_errors(schemas, lang: str, **overrides) -> dict:
    return validation.flatten(
        refused(
            validation.load_request,
            request_body(**overrides),
            TAXONOMY,
            now=NOW,
            schemas=schemas,
            lang=lang,
        )
    )


def host_errors(schemas, lang: str, **overrides) -> dict:
    return validation.flatten(
        refused(
            validation.load_host,
            host_body(**overrides),
            TAXONOMY,
            schemas=schemas,
            lang=lang,
        )
    )


def at_the_edge(app, lang: str, errors: dict) -> dict:
    with app.test_request_context(f"/?lang={lang}"):
        return validation.flatten(i18n.translated(errors))


def test_marshmallow_messages_come_out_in_french(schemas):
    body = request_body()
    del body["name"]
    errors = validation.flatten(
        refused(
            validation.load_request,
            body,
            TAXONOMY,
            now=NOW,
            schemas=schemas,
            lang="fr",
        )
    )
    assert errors == {"name": ["Champ obligatoire manquant."]}
    assert request_errors(schemas, "fr", goal="x" * 2001) == {
        "goal": ["Plus long que la longueur maximale 2000."]
    }
    assert request_errors(schemas, "fr", format="pigeon") == {
        "format": ["Doit être l'une des valeurs\u202f: video, in_person, phone."]
    }
    assert host_errors(schemas, "fr", monthly_capacity=500) == {
        "monthly_capacity": ["Doit être compris entre 0 et 20."]
    }
    assert request_errors(schemas, "fr", colour="blue") == {
        "colour": ["Champ inconnu."]
    }


def test_nested_schemas_and_list_items_speak_french_too(schemas):
    assert request_errors(
        schemas, "fr", referrer={"name": "", "email": "not-an-email"}
    ) == {
        "referrer.name": ["La longueur doit être comprise entre 1 et 120."],
        "referrer.email": ["Adresse e-mail invalide."],
    }
    assert request_errors(
        schemas,
        "fr",
        availability=[{"start": "2030-01-01T10:00:00", "end": "2030-01-01T12:00:00"}],
    ) == {
        "availability.0.start": [
            "Date et heure sans fuseau horaire\u202f: ajoutez un décalage (+01:00)."
        ],
        "availability.0.end": [
            "Date et heure sans fuseau horaire\u202f: ajoutez un décalage (+01:00)."
        ],
    }
    assert request_errors(schemas, "fr", languages=[5]) == {
        "languages.0": ["Texte invalide."]
    }
    assert host_errors(
        schemas,
        "fr",
        weekly_availability=[{"day": "someday", "start": "25:00", "end": "10:00"}],
    ) == {
        "weekly_availability.0.day": [
            "Doit être l'une des valeurs\u202f: mon, tue, wed, thu, fri, sat, sun."
        ],
        "weekly_availability.0.start": ["Heure invalide (HH:MM)."],
    }


def test_our_own_messages_are_translated_at_the_edge(app, schemas):
    past = [
        {
            "start": (NOW - timedelta(days=2)).isoformat(),
            "end": (NOW - timedelta(days=1)).isoformat(),
        }
    ]
    errors = refused(
        validation.load_request,
        request_body(availability=past, timezone="Nowhere/Land"),
        TAXONOMY,
        now=NOW,
        schemas=schemas,
        lang="fr",
    )
    assert at_the_edge(app, "fr", errors) == {
        "timezone": ["Fuseau horaire IANA inconnu."],
    }
    errors = refused(
        validation.load_request,
        request_body(availability=past),
        TAXONOMY,
        now=NOW,
        schemas=schemas,
        lang="fr",
    )
    assert at_the_edge(app, "fr", errors) == {
        "availability.0": ["Doit être dans le futur."]
    }
    assert at_the_edge(app, "en", errors) == {
        "availability.0": ["Must be in the future."]
    }


def test_a_message_with_a_number_is_translated_then_filled_in(app, schemas):
    far = [
        {
            "start": (NOW + timedelta(days=90)).isoformat(),
            "end": (NOW + timedelta(days=90, hours=2)).isoformat(),
        }
    ]
    assert at_the_edge(app, "fr", request_errors(schemas, "fr", availability=far)) == {
        "availability.0": ["Trop lointain (60 jours au plus)."]
    }
    assert request_errors(schemas, "en", availability=far) == {
        "availability.0": ["Too far ahead (at most 60 days)."]
    }


def test_english_stays_english(schemas):
    assert request_errors(schemas, "en", goal="x" * 2001) == {
        "goal": ["Longer than maximum length 2000."]
    }
    assert request_errors(schemas, "en", format="pigeon") == {
        "format": ["Must be one of: video, in_person, phone."]
    }
    assert host_errors(schemas, "en", monthly_capacity=500) == {
        "monthly_capacity": [
            "Must be greater than or equal to 0 and less than or equal to 20."
        ]
    }


def test_the_french_schemas_leave_the_english_ones_alone(schemas):
    request_errors(schemas, "fr", goal="x" * 2001)
    errors = refused(
        validation.load_request,
        request_body(goal="x" * 2001, referrer={"name": "Jean", "email": "x"}),
        TAXONOMY,
        now=NOW,
    )
    assert validation.flatten(errors) == {
        "goal": ["Longer than maximum length 2000."],
        "referrer.email": [
            "Not a valid email address.",
            "Length must be between 3 and 254.",
        ],
    }


def test_an_unknown_language_gets_the_default(schemas):
    assert request_errors(schemas, "de", goal="x" * 2001) == {
        "goal": ["Plus long que la longueur maximale 2000."]
    }


def test_an_empty_request_form_is_told_what_to_do_in_words_a_person_uses(schemas):
    empty = {"name": "", "goal": "", "languages": [], "availability": []}
    assert request_errors(schemas, "en", **empty) == {
        "name": ["Give your name."],
        "goal": [
            "Say in a few words what you would like to learn (3 characters at least)."
        ],
        "languages": ["Tick at least one language."],
        "availability": ["Add at least one time when you are free."],
    }
    assert request_errors(schemas, "fr", **empty)["languages"] == [
        "Cochez au moins une langue."
    ]


def test_an_empty_host_form_is_told_what_to_tick(schemas):
    empty = {"name": "", "fields": [], "formats": [], "durations": []}
    assert host_errors(schemas, "en", **empty) == {
        "name": ["Give your name."],
        "fields": ["Tick at least one field."],
        "formats": ["Tick at least one format."],
        "durations": ["Tick at least one duration."],
    }
