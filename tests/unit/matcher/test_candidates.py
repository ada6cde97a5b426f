"""Reading candidates: a stored host profile the matcher cannot read is passed
over; a round reads each host once, in the order of the tiers."""

import uuid

import pytest

from services.matcher import candidates, ranking
from services.matcher.candidates import host_or_none
from services.matcher.model import Request
from tests.unit.matcher.fakes import FakeUnitOfWork
from tests.unit.matcher.test_use_cases import T0, Clock, host, policy, request

ROW = {
    "id": uuid.uuid4(), "email": "h@example.com", "fields": ["management"],
    "languages": ["fr"], "formats": ["video"], "site": None,
    "timezone": "Europe/Paris", "durations": [30], "monthly_capacity": 2,
    "weekly_availability": [{"day": "mon", "start": "09:00", "end": "12:00"}],
    "unavailable": [], "active": True,
}  # fmt: skip


def test_a_readable_profile_is_read():
    assert host_or_none(ROW).email == "h@example.com"


@pytest.mark.parametrize(
    "change",
    [
        {"timezone": "America"},  # a folder of the tz database: an OSError
        {"timezone": "Nope/Nowhere"},
        {"weekly_availability": [{"day": "someday", "start": "09:00", "end": "10:00"}]},
        {"weekly_availability": [{"day": "mon", "start": "9h", "end": "10:00"}]},
    ],
)
def test_an_unreadable_profile_is_passed_over(change):
    assert host_or_none({**ROW, **change}) is None


def test_a_round_reads_a_host_of_two_fields_once_and_the_exact_field_first():
    """More related hosts than a round keeps (`ROUND_ENOUGH`) are read
    before the exact ones: the exact ones are looked at first all the same."""
    uow, rules = FakeUnitOfWork(), policy(Clock())
    related = [host(uow.repo, host_fields=("management",)) for _ in range(20)]
    invited = {"last_invited_at": T0}  # then last in the order of fairness
    both = host(uow.repo, host_fields=("strategy", "project-management"), **invited)
    exact = host(uow.repo, host_fields=("project-management",), **invited)
    asked = request(uow.repo, field="project-management", related_ok=True)
    row = next(r for r in uow.repo.waiting_requests(limit=10) if r["id"] == asked)
    ranked = candidates.rank_batch(
        uow, rules, {asked: Request.from_row(row)}, T0, ranking.NO_DEMAND
    )[asked]
    hosts = [p.host.id for p in ranked]
    assert sorted(hosts[:2]) == sorted([both, exact])  # the exact field first
    assert len(hosts) == candidates.ROUND_ENOUGH
    assert set(hosts[2:]) < set(related)
