"""Property-based tests of intake's validators (pure logic, no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.intake import bodies, validation
from shared import payloads
from shared.config import DEFAULT_FIELDS_FILE
from shared.fields import load_taxonomy
from shared.languages import ISO_639_1

TAXONOMY = load_taxonomy(DEFAULT_FIELDS_FILE)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"))
ONE_LINE = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4)
    ),
    max_leaves=12,
)


def assert_refused(body: dict, field: str) -> None:
    with pytest.raises(validation.Invalid) as refused:
        validation.load_request(body, TAXONOMY, now=NOW)
    assert field in refused.value.errors


@st.composite
def valid_requests(draw):
    duration = draw(st.sampled_from(bodies.DURATIONS))
    windows = []
    for _ in range(draw(st.integers(1, 5))):
        start = NOW + timedelta(minutes=draw(st.integers(1, 59 * 24 * 60)))
        length = timedelta(minutes=draw(st.integers(duration, 8 * 60)))
        offset = timezone(timedelta(hours=draw(st.integers(-11, 13))))
        windows.append(
            {
                "start": start.astimezone(offset).isoformat(),
                "end": (start + length).astimezone(offset).isoformat(),
            }
        )
    fmt = draw(st.sampled_from(["video", "phone", "in_person"]))
    return {
        "name": draw(st.text(ONE_LINE, min_size=1, max_size=120)),
        "field": draw(st.sampled_from(sorted(TAXONOMY.fields))),
        "goal": draw(st.text(PRINTABLE, min_size=3, max_size=300)),
        "format": fmt,
        "duration_minutes": duration,
        "languages": draw(
            st.lists(
                st.sampled_from(sorted(ISO_639_1)), min_size=1, max_size=10, unique=True
            )
        ),
        "site": "Lyon" if fmt == "in_person" else None,
        "timezone": draw(
            st.sampled_from(["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC"])
        ),
        "related_ok": draw(st.booleans()),
        "availability": windows,
    }


@given(valid_requests())
def test_every_valid_request_is_accepted_unchanged(body):
    data = validation.load_request(body, TAXONOMY, now=NOW)
    assert data["field"] == body["field"] and data["languages"] == body["languages"]
    assert [w["start"] for w in data["availability"]] == [
        datetime.fromisoformat(w["start"]) for w in body["availability"]
    ]


@given(valid_requests(), st.integers(0, 4), st.integers(0, 600))
def test_a_window_ending_before_it_starts_is_refused(body, index, minutes):
    w = body["availability"][index % len(body["availability"])]
    w["end"] = (
        datetime.fromisoformat(w["start"]) - timedelta(minutes=minutes)
    ).isoformat()
    assert_refused(body, "availability")


@given(
    valid_requests(),
    st.text(min_size=1, max_size=5).filter(lambda s: s not in ISO_639_1),
)
def test_a_language_outside_iso_639_1_is_refused(body, language):
    body["languages"] = [language]
    assert_refused(body, "languages")


@given(
    valid_requests(),
    st.text(min_size=1, max_size=20).filter(
        lambda k: k not in bodies.RequestIn().fields
    ),
)
def test_an_unknown_key_is_refused(body, key):
    body[key] = "x"
    assert_refused(body, key)


@settings(max_examples=300)
@given(json_values)
def test_any_json_value_is_either_accepted_or_refused_cleanly(value):
    for load in (
        lambda v: validation.load_request(v, TAXONOMY, now=NOW),
        lambda v: validation.load_host(v, TAXONOMY),
    ):
        try:
            load(value)
        except validation.Invalid as exc:
            assert isinstance(exc.errors, dict) and exc.errors


@given(st.text(max_size=8))
def test_time_of_day_accepts_only_hh_mm(text):
    ok = bool(payloads.END_OF_DAY.match(text))
    if ok:
        hours, minutes = text.split(":")
        assert (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59) or text == "24:00"


@given(
    valid_requests(),
    st.sampled_from([chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32), 127)]),
)
def test_a_control_character_in_free_text_is_refused(body, char):
    body["goal"] = body["goal"] + char
    assert_refused(body, "goal")


@given(
    valid_requests(),
    st.sampled_from(["\r", "\n", "\x85", "\u2028", "\u2029"]),
    st.integers(0, 120),
)
def test_a_line_break_anywhere_in_a_name_is_refused(body, char, at):
    at = at % (len(body["name"]) + 1)
    body["name"] = body["name"][:at] + char + body["name"][at:]
    assert_refused(body, "name")
