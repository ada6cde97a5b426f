"""Retention periods, staff roles, and what ops without HR see of people."""

from datetime import timedelta

import pytest

from services.intake.ops import visibility
from services.intake.web.identity import roles_of
from shared import config
from shared.retention import REDELIVERY_MARGIN, Retention
from tests.unit.test_config import BASE


def test_retention_defaults_are_those_a_dpo_reads_in_the_privacy_document():
    s = config.load(BASE)
    assert s.retain_events == timedelta(days=30)
    assert s.retain_mail == timedelta(days=90)
    assert s.retain_introductions == timedelta(days=730)
    assert s.retain_audit == timedelta(days=365)
    assert s.purge_interval_s == 3600


@pytest.mark.parametrize(
    ("raw", "kept"),
    [("P2Y", timedelta(days=730)), ("P1M", timedelta(days=30)),
     ("P1Y6M", timedelta(days=545)), ("PT10S", timedelta(seconds=10))],
)  # fmt: skip
def test_a_retention_is_an_iso_duration_with_years_and_months(raw, kept):
    assert (
        config.load({**BASE, "RETAIN_INTRODUCTIONS": raw}).retain_introductions == kept
    )


@pytest.mark.parametrize("raw", ["two years", "PT0S", "P1.5Y", "-P1D"])
def test_a_retention_that_is_not_a_period_stops_the_process(raw):
    with pytest.raises(config.ConfigError, match="RETAIN_EVENTS"):
        config.load({**BASE, "RETAIN_EVENTS": raw})


def test_the_old_personal_data_group_is_refused_with_its_successor_named():
    with pytest.raises(config.ConfigError, match="HR_GROUP"):
        config.load({**BASE, "OPS_PERSONAL_DATA_GROUP": "ops-personal-data"})


def test_handled_events_are_kept_while_a_topic_can_deliver_them_again():
    s = config.load(BASE)
    longer = Retention.of(s, timedelta(days=60))
    assert longer.inbox == timedelta(days=60) + REDELIVERY_MARGIN
    assert Retention.of(s, timedelta(days=1)).inbox == s.retain_events
    forever = Retention.of(s, None)
    assert forever.before(forever.inbox) is None


def test_groups_give_roles_by_the_names_the_settings_choose():
    s = config.load(
        {**BASE, "OPS_GROUP": "it-run", "HR_GROUP": "rh", "AUDIT_GROUP": "dpo"}
    )
    assert roles_of(("it-run", "staff"), s) == ("ops",)
    assert roles_of(("rh", "dpo"), s) == ("hr", "audit")
    assert roles_of(("ops", "hr"), s) == ()


def test_ops_without_hr_see_no_name_goal_note_or_address_in_a_payload():
    payload = {
        "request_id": "r1", "field": "data-engineering", "goal": "move to data",
        "requester": {"name": "Ana", "email": "ana@example.com"},
        "referrer_name": "Bob", "windows": [{"start": "2026-12-03T09:00:00Z"}],
        "note": "Room 4", "decline_reason": "busy",
    }  # fmt: skip
    seen = visibility.redacted(payload)
    assert seen["request_id"] == "r1" and seen["field"] == "data-engineering"
    assert seen["windows"] == payload["windows"]
    text = repr(seen)
    for secret in ("Ana", "ana@example.com", "Bob", "move to data", "Room 4", "busy"):
        assert secret not in text
