"""Intake's use cases against an in-memory unit of work: the rules, the
refusals and the events, without a database or a web server."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.intake import use_cases
from services.intake.domain import Limits
from services.intake.errors import Conflict, Invalid, NotAllowed, NotFound, TooMany
from services.intake.ops import programme
from services.intake.ops import use_cases as ops_use_cases
from services.intake.web.identity import Identity
from shared import forgetting
from tests.unit.intake.fakes import FakeUnitOfWork, now

CAMILLE = Identity("camille@example.com")
NATHALIE = Identity("nathalie@example.com")
OPS = Identity("ops@example.com", ("ops",), roles=("ops",))
HR = Identity("hr@example.com", ("hr",), roles=("hr",))
LIMITS = Limits(max_open=3, per_hour=10, secret="k" * 32)


def request_data(**overrides) -> dict:
    start = now() + timedelta(days=3)
    data = {
        "name": "Camille Durand", "field": "management", "goal": "Discover the job",
        "format": "video", "duration_minutes": 30, "languages": ["fr"], "site": None,
        "timezone": "Europe/Paris", "related_ok": True,
        "availability": [{"start": start, "end": start + timedelta(hours=2)}],
        "referrer": None, "preferred_host": None,
    }  # fmt: skip
    data.update(overrides)
    return data


def host_data(**overrides) -> dict:
    data = {
        "name": "Nathalie Renard", "fields": ["management"], "languages": ["fr"],
        "formats": ["video"], "site": None, "timezone": "Europe/Paris",
        "durations": [30], "monthly_capacity": 2,
        "weekly_availability": [{"day": "tue", "start": "09:00", "end": "12:00"}],
        "unavailable": [], "active": True, "listed": False, "paused_until": None,
    }  # fmt: skip
    data.update(overrides)
    return data


@pytest.fixture
def uow():
    return FakeUnitOfWork()


def submit(uow, who=CAMILLE, key=None, **overrides):
    return use_cases.submit_request(
        uow,
        who,
        request_data(**overrides),
        limits=LIMITS,
        locale="fr",
        idempotency_key=key,
    )


def invite(
    uow, request_id, host_email="nathalie@example.com", expires_in=timedelta(hours=72)
):
    host, _ = use_cases.put_host(
        uow, Identity(host_email), host_data(), locale="fr", limits=LIMITS
    )
    match_id = uuid.uuid4()
    uow.repo.matches[match_id] = {
        "id": match_id, "request_id": request_id, "host_id": host["id"],
        "status": "proposed", "expires_at": now() + expires_in,
        "starts_at": now() + timedelta(days=4),
    }  # fmt: skip
    uow.repo.requests[request_id]["status"] = "proposed"
    return match_id


def test_a_new_request_is_stored_and_announced_once(uow):
    row, match, created = submit(uow)
    assert created and match is None and row["status"] == "submitted"
    [(event_type, key, payload)] = uow.emitted()
    assert (event_type, key) == ("IntroRequested", str(row["id"]))
    assert payload["requester"] == {"name": "Camille Durand", "email": CAMILLE.email}


def test_the_same_key_and_body_give_the_first_request_and_no_second_event(uow):
    data = request_data()
    first, _, _ = use_cases.submit_request(
        uow, CAMILLE, data, limits=LIMITS, locale="fr", idempotency_key="form-1"
    )
    again, _, created = use_cases.submit_request(
        uow, CAMILLE, dict(data), limits=LIMITS, locale="fr", idempotency_key="form-1"
    )
    assert not created and again["id"] == first["id"]
    assert len(uow.emitted("IntroRequested")) == 1


def test_the_same_key_with_another_body_is_a_conflict(uow):
    submit(uow, key="form-1")
    with pytest.raises(Conflict) as refused:
        submit(uow, key="form-1", goal="Something else entirely")
    assert refused.value.code == "idempotency_conflict"
    assert len(uow.repo.requests) == 1


def test_open_requests_beyond_the_limit_are_a_conflict_naming_the_limit(uow):
    for i in range(3):
        submit(uow, goal=f"goal {i}")
    with pytest.raises(Conflict) as refused:
        submit(uow, goal="one more")
    assert refused.value.code == "too_many_open" and refused.value.values == {"n": 3}


def test_submissions_beyond_the_hourly_limit_are_too_many(uow):
    for i in range(3):
        row, _, _ = submit(uow, goal=f"goal {i}")
        use_cases.cancel_request(uow, CAMILLE, row["id"], None)
    limits = Limits(max_open=3, per_hour=3, secret="k" * 32)
    with pytest.raises(TooMany):
        use_cases.submit_request(
            uow, CAMILLE, request_data(), limits=limits, locale="fr"
        )


def test_asking_for_oneself_or_an_unknown_host_is_invalid(uow):
    me, _ = use_cases.put_host(uow, CAMILLE, host_data(), locale="fr", limits=LIMITS)
    with pytest.raises(Invalid) as refused:
        submit(uow, preferred_host=me["id"])
    assert refused.value.errors == {"preferred_host": ["You cannot ask yourself."]}
    with pytest.raises(Invalid):
        submit(uow, preferred_host=uuid.uuid4())
    assert uow.emitted("IntroRequested") == []


def test_cancel_ends_the_live_match_and_says_which(uow):
    row, _, _ = submit(uow)
    match_id = invite(uow, row["id"])
    cancelled = use_cases.cancel_request(uow, CAMILLE, row["id"], "found a mentor")
    assert cancelled["status"] == "cancelled"
    [(_, _, payload)] = uow.emitted("IntroCancelled")
    assert payload["match_id"] == match_id and payload["match_status"] == "proposed"
    assert (
        payload["reason"] == "found a mentor" and payload["cancelled_by"] == "requester"
    )
    with pytest.raises(Conflict):
        use_cases.cancel_request(uow, CAMILLE, row["id"], None)


def test_only_the_requester_or_hr_see_or_cancel_a_request(uow):
    row, _, _ = submit(uow)
    for someone in (NATHALIE, OPS):
        with pytest.raises(NotAllowed):
            use_cases.get_request(uow, someone, row["id"])
        with pytest.raises(NotAllowed):
            use_cases.cancel_request(uow, someone, row["id"], None)
    assert use_cases.get_request(uow, HR, row["id"])[0]["id"] == row["id"]
    with pytest.raises(NotFound):
        use_cases.get_request(uow, CAMILLE, uuid.uuid4())


def test_hr_reading_or_cancelling_someones_request_is_in_the_access_trail(uow):
    row, _, _ = submit(uow)
    use_cases.get_request(uow, CAMILLE, row["id"])  # one's own: not audited
    assert uow.audit.lines == []
    use_cases.get_request(uow, HR, row["id"])
    use_cases.cancel_request(uow, HR, row["id"], None)
    assert [(a, act) for a, act, _, _ in uow.audit.lines] == [
        ("hr@example.com", "request"),
        ("hr@example.com", "cancel"),
    ]
    assert all(about.request_id == row["id"] for _, _, about, _ in uow.audit.lines)


def test_staff_actions_on_mail_and_dead_letters_are_in_the_access_trail(uow):
    failed = uuid.uuid4()
    uow.reports.failed.add(failed)
    ops_use_cases.retry_failed_mail(uow, failed, OPS)
    uow.repo.dead_letters[7] = False
    ops_use_cases.request_replay(uow, 7, OPS)
    assert [act for _, act, _, _ in uow.audit.lines] == ["retry", "replay"]


def test_hr_forgets_leavers_as_they_would_forget_themselves(uow):
    row, _, _ = submit(uow)
    done = programme.forget_people(uow, [CAMILLE.email, "gone@example.com"], HR)
    assert [d["requests"] for d in done] == [1, 0]
    assert uow.repo.requests[row["id"]]["status"] == "cancelled"
    [(_, _, payload)] = uow.emitted("RequesterForgotten")
    assert payload["request_id"] == row["id"]
    assert [(act, about.email) for _, act, about, _ in uow.audit.lines] == [
        ("forget", CAMILLE.email),
        ("forget", "gone@example.com"),
    ]


def test_the_invited_host_accepts_and_the_request_is_confirmed(uow):
    row, _, _ = submit(uow)
    match_id = invite(uow, row["id"])
    details = {"location": "Tour B", "note": None}
    use_cases.answer_invitation(uow, NATHALIE.email, match_id, "accept", details)
    assert uow.repo.requests[row["id"]]["status"] == "confirmed"
    [(_, key, payload)] = uow.emitted("MatchAccepted")
    assert key == str(row["id"]) and payload["location"] == "Tour B"


def test_another_person_cannot_answer_and_an_expired_invitation_is_closed(uow):
    row, _, _ = submit(uow)
    match_id = invite(uow, row["id"], expires_in=timedelta(seconds=-1))
    with pytest.raises(NotAllowed):
        use_cases.answer_invitation(uow, CAMILLE.email, match_id, "decline", {})
    with pytest.raises(Conflict) as refused:
        use_cases.answer_invitation(uow, NATHALIE.email, match_id, "decline", {})
    assert refused.value.code == "not_proposed"
    assert uow.emitted("MatchDeclined") == []


def test_feedback_is_kept_only_for_a_meeting_that_took_place(uow):
    row, _, _ = submit(uow)
    match_id = invite(uow, row["id"])
    with pytest.raises(NotFound):
        use_cases.record_feedback(uow, match_id, "requester", "useful")
    use_cases.answer_invitation(uow, NATHALIE.email, match_id, "accept", {})
    use_cases.record_feedback(uow, match_id, "requester", "useful")
    use_cases.record_feedback(uow, match_id, "requester", "not-useful")
    assert uow.repo.feedback == {(match_id, "requester"): False}


def test_forgetting_a_person_cancels_declines_redacts_and_tells_the_others(uow):
    row, _, _ = submit(uow)
    other, _, _ = submit(uow, who=Identity("someone@example.com"))
    match_id = invite(uow, other["id"], host_email=CAMILLE.email)
    counts = use_cases.forget_person(uow, CAMILLE)
    assert counts == {"requests": 1, "host_profile": 1}
    assert uow.repo.requests[row["id"]]["status"] == "cancelled"
    assert forgetting.is_forgotten(uow.repo.requests[row["id"]]["requester_email"])
    assert uow.repo.matches[match_id]["status"] == "declined"
    types = [e[0] for e in uow.emitted()]
    assert {
        "IntroCancelled",
        "RequesterForgotten",
        "MatchDeclined",
        "HostForgotten",
    } <= set(types)
    assert str(row["id"]) in uow.repo.redacted


def test_ops_retry_of_failed_mail_asks_the_notifier_and_refuses_what_did_not_fail(uow):
    failed = uuid.uuid4()
    uow.reports.failed.add(failed)
    ops_use_cases.retry_failed_mail(uow, failed, OPS)
    assert uow.emitted("MailRetryRequested") == [
        (
            "MailRetryRequested",
            str(failed),
            {"notification_id": failed, "kind": None, "since": None, "until": None},
        )
    ]
    with pytest.raises(NotFound):
        ops_use_cases.retry_failed_mail(uow, uuid.uuid4(), OPS)


def test_a_dead_letter_replay_is_asked_once(uow):
    uow.repo.dead_letters[7] = False
    ops_use_cases.request_replay(uow, 7, OPS)
    with pytest.raises(Conflict):
        ops_use_cases.request_replay(uow, 7, OPS)
    with pytest.raises(NotFound):
        ops_use_cases.request_replay(uow, 8, OPS)


def test_an_invitation_whose_meeting_has_begun_cannot_be_accepted(uow):
    row, _, _ = submit(uow)
    match_id = invite(uow, row["id"])
    uow.repo.matches[match_id]["starts_at"] = now() - timedelta(days=2)
    with pytest.raises(Conflict):
        use_cases.answer_invitation(uow, NATHALIE.email, match_id, "accept", {})
    assert uow.repo.requests[row["id"]]["status"] == "proposed"


def test_a_cancellation_by_ops_is_recorded_as_theirs(uow):
    row, _, _ = submit(uow)
    cancelled = use_cases.cancel_request(uow, HR, row["id"], None)
    assert cancelled["status_reason"] == "cancelled by ops"
    [(_, _, payload)] = uow.emitted("IntroCancelled")
    assert payload["cancelled_by"] == "ops"


def test_forgetting_oneself_does_not_reset_the_hourly_limit(uow):
    limits = Limits(max_open=3, per_hour=4, secret="k" * 32)
    for i in range(4):
        use_cases.submit_request(
            uow, CAMILLE, request_data(goal=f"goal {i}"), limits=limits, locale="fr"
        )
        use_cases.forget_person(uow, CAMILLE)
    with pytest.raises(TooMany):
        use_cases.submit_request(
            uow, CAMILLE, request_data(), limits=limits, locale="fr"
        )


def test_a_host_who_leaves_withdraws_their_confirmed_meetings_and_the_requesters_wait_again(
    uow,
):
    row, _, _ = submit(uow)
    match_id = invite(uow, row["id"])
    use_cases.answer_invitation(uow, NATHALIE.email, match_id, "accept", {})
    use_cases.forget_person(uow, NATHALIE)
    assert uow.repo.matches[match_id]["status"] == "cancelled"
    assert uow.repo.requests[row["id"]]["status"] == "submitted"
    [(_, key, payload)] = uow.emitted("MatchDeclined")
    assert key == str(row["id"]) and payload["was_confirmed"] is True
    assert uow.emitted("HostForgotten")


def test_a_referrer_who_leaves_is_taken_out_of_other_peoples_requests(uow):
    row, _, _ = submit(
        uow, referrer={"name": "Nathalie Renard", "email": NATHALIE.email}
    )
    uow.repo.requests[row["id"]].update(referrer_name="Nathalie Renard",
                                        referrer_email=NATHALIE.email)  # fmt: skip
    use_cases.forget_person(uow, NATHALIE)
    assert uow.repo.requests[row["id"]]["referrer_email"] is None
    assert [e[1] for e in uow.emitted("ReferrerForgotten")] == [str(row["id"])]
    assert uow.repo.mentions_of == NATHALIE.email  # found by address, never by name
