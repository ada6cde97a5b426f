"""A host's real calendar, end to end: the three services as processes, a
real CalDAV server (Radicale) and a real SMTP server. The invitation
avoids a time the calendar shows busy; a meeting added later over an
unanswered invitation withdraws it, both are told, and the request is
proposed again at a free time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from shared.db import connect
from tests import ics
from tests.integration.intake.helpers import host_body, request_body
from tests.smtp import SmtpServer
from tests.support import ServiceProcess, wait_for

PARIS = ZoneInfo("Europe/Paris")
HOST = "nathalie.renard@example.com"
REQUESTER = "camille.durand@example.com"
EVERY_DAY = [
    {"day": d, "start": "08:00", "end": "18:00"}
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
]


def paris(day, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def as_user(email: str) -> dict:
    return {"X-Remote-User": email, "Accept-Language": "en"}


def test_the_invitation_avoids_busy_times_and_a_new_conflict_withdraws_it(
    radicale, service_env, log_dir
):
    smtp = SmtpServer().start()
    env = {
        **service_env,
        "SMTP_PORT": str(smtp.port),
        "CALENDAR_REFRESH": "PT1S",
        "MATCH_ROUND_WINDOW": "0",
    }
    running = [
        ServiceProcess(n, env, log_dir) for n in ("intake", "matcher", "notifier")
    ]
    try:
        for p in running:
            p.start()
        intake = running[0].url
        day = (datetime.now(PARIS) + timedelta(days=4)).date()

        # the host's calendar, on a real CalDAV server: busy 09:00-10:30 that day
        user, password = f"h{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
        radicale.add_user(user, password)
        calendar_url = radicale.add_calendar(
            user,
            "work",
            (
                ics.calendar(
                    ics.busy_event("standup", paris(day, 9), paris(day, 10, 30))
                ),
            ),
        )

        put = requests.put(
            f"{intake}/api/v1/hosts/me",
            json=host_body(weekly_availability=EVERY_DAY),
            headers=as_user(HOST),
            timeout=10,
        )
        assert put.status_code == 201
        connected = requests.put(
            f"{intake}/api/v1/hosts/me/calendar",
            json={"kind": "caldav", "url": calendar_url, "username": user,
                  "password": password},
            headers=as_user(HOST),
            timeout=30,
        )  # fmt: skip
        assert connected.status_code == 200, connected.text
        assert connected.json()["busy"] == [
            {"start": paris(day, 9).astimezone(ZoneInfo("UTC")).isoformat(),
             "end": paris(day, 10, 30).astimezone(ZoneInfo("UTC")).isoformat()}
        ]  # fmt: skip

        # a request free 09:00-12:00 that day: its earliest slot is busy
        window = [
            {"start": paris(day, 9).isoformat(), "end": paris(day, 12).isoformat()}
        ]
        posted = requests.post(
            f"{intake}/api/v1/requests",
            json=request_body(availability=window, format="video"),
            headers=as_user(REQUESTER),
            timeout=10,
        )
        assert posted.status_code == 202, posted.text
        rid = posted.json()["id"]
        wait_for(lambda: smtp.to(HOST, "invitation"), 60, message="the invitation")
        with connect(env["DATABASE_URL"]) as conn:
            [first] = conn.execute(
                "SELECT * FROM matches WHERE request_id = %s", (rid,)
            ).fetchall()
            assert first["starts_at"] == paris(day, 10, 30)  # the next free slot
            wait_for(
                lambda: conn.execute(
                    "SELECT 1 FROM notifications WHERE match_id = %s"
                    " AND kind = 'invitation' AND status = 'sent'",
                    (first["id"],),
                ).fetchone(),
                30,
                message="the invitation recorded as sent",
            )

        # the host accepts another meeting over it, in their own calendar
        radicale.put_event(
            user,
            calendar_url,
            ics.calendar(ics.busy_event("client", paris(day, 10, 30), paris(day, 11))),
            "client",
        )
        wait_for(lambda: smtp.to(HOST, "invitation_withdrawn"), 60, message="withdrawn")
        wait_for(lambda: smtp.to(REQUESTER, "slot_withdrawn"), 60, message="told")
        wait_for(
            lambda: len(smtp.to(HOST, "invitation")) == 2, 60, message="invited again"
        )
        with connect(env["DATABASE_URL"]) as conn:
            old, new = conn.execute(
                "SELECT * FROM matches WHERE request_id = %s ORDER BY created_at",
                (rid,),
            ).fetchall()
        assert old["status"] == "expired" and old["calendar_conflict"]
        assert new["status"] == "proposed" and new["host_id"] == old["host_id"]
        assert new["starts_at"] == paris(day, 11)
        withdrawn = smtp.to(HOST, "invitation_withdrawn")[0]
        assert "nothing to answer" in withdrawn.get_body(("plain",)).get_content()
    finally:
        for p in running:
            p.stop()
        smtp.stop()
