"""What a body may hold at its edges: windows and time off bounded at both
ends, one-line fields on one line, in the reader's language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.intake import validation
from services.intake.web import language as i18n
from shared import payloads
from tests.unit.intake.test_messages import (
    NOW,
    START,
    TAXONOMY,
    host_body,
    refused,
    request_body,
)

SEPARATORS = {
    "CR": "\r",
    "LF": "\n",
    "CRLF": "\r\n",
    "NEL": "\u0085",
    "LINE SEPARATOR": "\u2028",
    "PARAGRAPH SEPARATOR": "\u2029",
}
separators = pytest.mark.parametrize(
    "sep", list(SEPARATORS.values()), ids=list(SEPARATORS)
)


def at_the_edge(app, lang: str, errors: dict) -> dict:
    with app.test_request_context(f"/?lang={lang}"):
        return validation.flatten(i18n.translated(errors))


def window(start, end) -> dict:
    return {"start": start.isoformat(), "end": end.isoformat()}


def request_refused(lang: str = "en", schemas=None, **overrides) -> dict:
    return validation.flatten(
        refused(
            validation.load_request,
            request_body(**overrides),
            TAXONOMY,
            now=NOW,
            horizon_days=60,
            schemas=schemas,
            lang=lang,
        )
    )


def host_refused(lang: str = "en", schemas=None, **overrides) -> dict:
    return validation.flatten(
        refused(
            validation.load_host,
            host_body(**overrides),
            TAXONOMY,
            now=NOW,
            schemas=schemas,
            lang=lang,
        )
    )


def test_a_window_ending_after_the_horizon_is_refused_naming_it():
    far = window(START, START.replace(year=2099))
    assert request_refused(
        availability=[window(START, START + timedelta(hours=2)), far]
    ) == {"availability.1": ["Must end at most 60 days ahead."]}


def test_a_window_ending_exactly_at_the_horizon_is_accepted():
    end = NOW + timedelta(days=60)
    data = validation.load_request(
        request_body(availability=[window(end - timedelta(hours=2), end)]),
        TAXONOMY,
        now=NOW,
        horizon_days=60,
    )
    assert data["availability"][0]["end"] == end


def test_a_window_starting_beyond_the_horizon_says_so_once():
    late = NOW + timedelta(days=90)
    assert request_refused(availability=[window(late, late + timedelta(hours=2))]) == {
        "availability.0": ["Too far ahead (at most 60 days)."]
    }


def test_time_off_is_bounded_a_year_back_and_two_years_ahead():
    ok = host_body(
        unavailable=[
            window(NOW - timedelta(days=365), NOW + timedelta(days=30)),
            window(NOW + timedelta(days=700), NOW + timedelta(days=730)),
        ]
    )
    assert len(validation.load_host(ok, TAXONOMY, now=NOW)["unavailable"]) == 2
    assert host_refused(
        unavailable=[
            window(NOW - timedelta(days=400), NOW - timedelta(days=390)),
            window(NOW + timedelta(days=30), NOW.replace(year=2099)),
        ]
    ) == {
        "unavailable.0": ["Must start at most 366 days ago."],
        "unavailable.1": ["Must end at most 731 days ahead."],
    }


def test_the_new_limits_speak_french(app, schemas):
    far = window(START, START.replace(year=2099))
    assert request_refused("fr", schemas, availability=[far]) == {
        "availability.0": ["Doit se terminer dans 60 jours au plus."]
    }
    old = window(NOW - timedelta(days=400), NOW - timedelta(days=390))
    assert host_refused("fr", schemas, unavailable=[old]) == {
        "unavailable.0": ["Doit commencer il y a 366 jours au plus."]
    }
    errors = refused(
        validation.load_request,
        request_body(name="Camille\nDurand"),
        TAXONOMY,
        now=NOW,
        schemas=schemas,
        lang="fr",
    )
    assert at_the_edge(app, "fr", errors) == {
        "name": ["Doit tenir sur une seule ligne."]
    }


@separators
@pytest.mark.parametrize(
    "overrides,field",
    [
        (lambda s: {"name": f"Camille{s}Durand"}, "name"),
        (lambda s: {"field": f"management{s}"}, "field"),
        (lambda s: {"format": "in_person", "site": f"Lyon{s}Part-Dieu"}, "site"),
        (
            lambda s: {
                "referrer": {"name": f"Jean{s}Martin", "email": "j@example.com"}
            },
            "referrer.name",
        ),
    ],
    ids=["name", "field", "site", "referrer name"],
)
def test_a_line_break_in_a_one_line_request_field_is_refused(sep, overrides, field):
    errors = request_refused(**overrides(sep))
    assert errors[field] == ["Must be on one line."], errors


@separators
@pytest.mark.parametrize(
    "overrides,field",
    [
        (lambda s: {"name": f"Nathalie{s}Renard"}, "name"),
        (lambda s: {"fields": ["management", f"finance{s}"]}, "fields.1"),
        (lambda s: {"formats": ["in_person"], "site": f"Paris{s}"}, "site"),
    ],
    ids=["name", "field", "site"],
)
def test_a_line_break_in_a_one_line_host_field_is_refused(sep, overrides, field):
    errors = host_refused(**overrides(sep))
    assert errors[field] == ["Must be on one line."], errors


@separators
def test_a_line_break_in_the_meeting_place_is_refused(sep):
    errors = validation.flatten(
        refused(validation.load_answer, "accept", {"location": f"Room 3{sep}B"})
    )
    assert errors == {"location": ["Must be on one line."]}


@separators
def test_multi_line_texts_keep_their_paragraphs(sep):
    goal = f"Discover the job{sep}and its people"
    data = validation.load_request(request_body(goal=goal), TAXONOMY, now=NOW)
    assert data["goal"] == goal
    note = f"Bring your CV{sep}and questions"
    assert validation.load_answer("accept", {"note": note})["note"] == note
    reason = f"Away{sep}all month"
    assert validation.load_answer("decline", {"reason": reason})["reason"] == reason


@separators
def test_an_event_cannot_carry_a_person_whose_name_has_a_line_break(sep):
    errors = payloads.Person().validate(
        {"name": f"Jean{sep}", "email": "j@example.com"}
    )
    assert errors == {"name": ["Must be on one line."]}
