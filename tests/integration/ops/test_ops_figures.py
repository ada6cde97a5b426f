"""Scarcity per field, CSV exports, the weekly trend, feedback and the pages
of hosts, against the real database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from shared.db import connect
from tests.fixtures_intake import user
from tests.integration.intake.helpers import (
    future,
    host_body,
    insert_match,
    request_body,
)

OPS = user("ops.person@example.com", "ops", "hr")  # the pipeline and the programme
OPS_ONLY = user("ops.only@example.com", "ops")
HR = user("hr.person@example.com", "hr")


def requester(i):
    return user(f"requester{i}@example.com")


def host(i):
    return user(f"host{i}@example.com")


def put_host(client, i, **overrides) -> str:
    response = client.put(
        "/api/v1/hosts/me", json=host_body(**overrides), headers=host(i)
    )
    assert response.status_code in (200, 201), response.json
    return response.json["id"]


def ask(client, i, field="management") -> str:
    response = client.post(
        "/api/v1/requests", json=request_body(field=field), headers=requester(i)
    )
    assert response.status_code == 202, response.json
    return response.json["id"]


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_a_field_short_of_hosts_is_marked_short_and_one_with_room_is_not(
    client, database_url
):
    small = put_host(client, 0, fields=["management"], monthly_capacity=1)
    put_host(client, 1, fields=["management"], monthly_capacity=3)
    paused = put_host(client, 2, fields=["management"], monthly_capacity=5)
    put_host(client, 3, fields=["management"], monthly_capacity=8, active=False)
    put_host(client, 4, fields=["strategy"], monthly_capacity=10)
    management = [ask(client, i) for i in range(4)]
    ask(client, 9, field="strategy")
    insert_match(database_url, management[2], small)
    with connect(database_url) as conn:
        conn.execute(
            "UPDATE hosts SET paused_until = CURRENT_DATE + 10 WHERE id = %s",
            (paused,),
        )
        conn.execute(
            "UPDATE requests SET status = 'waitlisted' WHERE id = ANY(%s)",
            (management[:2],),
        )
        conn.execute(  # arrived six weeks ago and closed since: no demand now
            "UPDATE requests SET status = 'cancelled',"
            " created_at = now() - interval '6 weeks' WHERE id = %s",
            (management[3],),
        )

    fields = client.get("/ops/api/summary", headers=OPS).json["fields"]

    assert fields["management"] == {
        "hosts": 3,  # the paused host still counts as supply
        "monthly_capacity": 9,
        "open_requests": 3,
        "demand": 6,  # 3 open + 3 arrived in the last 4 weeks
        "capacity_coming_weeks": 3,  # 1 (less its 1 booked) + 3, not the paused host
        "hosts_needed": 2,  # 3 short, a median host takes 2 in 4 weeks
        "hosts_to_clear_waitlist": 1,  # 2 waiting, a median host takes 2 a month
        "short": True,
    }
    assert fields["strategy"] == {
        "hosts": 1,
        "monthly_capacity": 10,
        "open_requests": 1,
        "demand": 2,
        "capacity_coming_weeks": 9,  # 10 a month is 9 in 28 days
        "hosts_needed": 0,
        "hosts_to_clear_waitlist": 0,
        "short": False,
    }
    page = client.get("/ops", headers=OPS).get_data(as_text=True)
    table = page[page.index('id="scarcity"') :]
    assert (
        table.index('data-field="management"')
        < table.index('data-field="strategy"')
        < table.index("</table>")
    )
    assert 'data-field="management" class="short"' in table


def test_csv_exports_follow_the_filters_and_hold_no_personal_data_by_default(
    client, database_url
):
    hid = put_host(client, 0, fields=["management", "strategy"])
    rids = [ask(client, i, field) for i, field in enumerate(["management"] * 2)]
    other = ask(client, 5, field="strategy")
    mid = insert_match(database_url, rids[0], hid)
    with connect(database_url) as conn:
        conn.execute(
            "UPDATE requests SET created_at = now() - interval '10 days' WHERE id = %s",
            (rids[1],),
        )
        conn.execute("UPDATE matches SET decline_reason = '=1+1' WHERE id = %s", (mid,))

    response = client.get("/ops/export/requests.csv", headers=HR)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "text/csv"
    rows = read_csv(response)
    assert {r["id"] for r in rows} == {*rids, other}
    assert "@" not in response.get_data(as_text=True)
    assert set(rows[0]) == {
        "id",
        "field",
        "status",
        "status_reason",
        "format",
        "attempts",
        "created_at",
        "proposed_at",
        "confirmed_at",
    }

    since = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    recent = read_csv(
        client.get(
            f"/ops/export/requests.csv?field=management&since={since}", headers=HR
        )
    )
    assert [r["id"] for r in recent] == [rids[0]]
    assert [
        r["id"]
        for r in read_csv(
            client.get("/ops/export/requests.csv?status=proposed", headers=HR)
        )
    ] == [rids[0]]
    until = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    assert [
        r["id"]
        for r in read_csv(
            client.get(
                "/ops/export/requests.csv", query_string={"until": until}, headers=HR
            )
        )
    ] == [rids[1]]

    matches = client.get("/ops/export/matches.csv?field=management", headers=HR)
    [match] = read_csv(matches)
    assert (match["id"], match["request_id"], match["host_id"]) == (
        str(mid),
        rids[0],
        hid,
    )
    assert (match["status"], match["exact_field"], match["format"]) == (
        "proposed",
        "True",
        "video",
    )
    assert match["decline_reason"] == "'=1+1"  # never read as a formula
    assert "@" not in matches.get_data(as_text=True)

    for path in ("/ops/export/requests.csv", "/ops/export/matches.csv"):
        assert client.get(f"{path}?personal=1", headers=OPS_ONLY).status_code == 403
        assert client.get(path, headers=OPS_ONLY).status_code == 403  # HR's
        assert client.get(f"{path}?status=bogus", headers=HR).status_code == 422
        assert client.get(f"{path}?since=yesterday", headers=HR).status_code == 422
        assert client.get(f"{path}?field=astrology", headers=HR).status_code == 422
    page = client.get("/ops?status=waitlisted&field=strategy", headers=HR).get_data(
        as_text=True
    )
    assert (
        'id="export-requests" href="/ops/export/requests.csv?status=waitlisted&amp;field=strategy"'
        in page
    )
    assert 'id="export-matches" href="/ops/export/matches.csv?field=strategy"' in page
    assert "personal=1" in page
    ops_page = client.get("/ops", headers=OPS_ONLY).get_data(as_text=True)
    assert "export-requests" not in ops_page  # offered to HR only

    personal = read_csv(
        client.get(
            "/ops/export/requests.csv?personal=1&field=strategy",
            headers=HR,
        )
    )
    assert [(r["id"], r["requester_email"], r["requester_name"]) for r in personal] == [
        (other, "requester5@example.com", "Camille Durand")
    ]
    [named] = read_csv(client.get("/ops/export/matches.csv?personal=1", headers=HR))
    assert (named["requester_email"], named["host_email"], named["host_name"]) == (
        "requester0@example.com",
        "host0@example.com",
        "Nathalie Renard",
    )


def test_weekly_trend_counts_requests_first_proposals_and_confirmations(
    client, database_url
):
    hid = put_host(client, 0)
    rids = [ask(client, i) for i in range(3)]
    accepted = insert_match(database_url, rids[0], hid)
    insert_match(database_url, rids[1], hid, start=future(5))
    assert (
        client.post(f"/api/v1/matches/{accepted}/accept", headers=host(0)).status_code
        == 200
    )
    with connect(database_url) as conn:
        conn.execute(
            "UPDATE requests SET created_at = now() - interval '3 weeks' WHERE id = %s",
            (rids[2],),
        )

    weeks = client.get("/ops/api/trend?weeks=4", headers=OPS).json["weeks"]

    this_week = datetime.now(UTC).isocalendar()
    assert len(weeks) == 4
    assert weeks[-1]["week"] == f"{this_week.year}-W{this_week.week:02d}"
    assert [(w["requests"], w["proposals"], w["confirmations"]) for w in weeks] == [
        (1, 0, 0),
        (0, 0, 0),
        (0, 0, 0),
        (2, 2, 1),
    ]
    assert len(client.get("/ops/api/trend", headers=OPS).json["weeks"]) == 12
    for bad in ("0", "105", "x"):
        assert client.get(f"/ops/api/trend?weeks={bad}", headers=OPS).status_code == 422
    page = client.get("/ops", headers=OPS).get_data(as_text=True)
    chart = page[page.index('id="chart-trend"') :]
    assert chart.index("<svg") < chart.index("</figure>")


def test_feedback_is_counted_per_field_month_and_respondent(client, database_url):
    hid = put_host(client, 0, fields=["management", "strategy"])
    rids = [ask(client, i, f) for i, f in enumerate(["management"] * 2 + ["strategy"])]
    mids = [
        insert_match(
            database_url,
            rid,
            hid,
            status="accepted",
            start=future(4).replace(hour=9) + timedelta(hours=i),
        )
        for i, rid in enumerate(rids)
    ]
    with connect(database_url) as conn:
        month = conn.execute(
            "SELECT month FROM matches WHERE id = %s", (mids[0],)
        ).fetchone()["month"]
        for match_id, respondent, useful in (
            (mids[0], "requester", True),
            (mids[0], "host", True),
            (mids[1], "requester", False),
            (mids[1], "host", True),
            (mids[2], "requester", True),
        ):
            conn.execute(
                "INSERT INTO feedback (match_id, respondent, useful) VALUES (%s, %s, %s)",
                (match_id, respondent, useful),
            )

    body = client.get("/ops/api/feedback", headers=OPS).json

    assert body == {
        "feedback": [
            {
                "field": "management",
                "month": month,
                "requester": {"useful": 1, "not_useful": 1},
                "host": {"useful": 2, "not_useful": 0},
            },
            {
                "field": "strategy",
                "month": month,
                "requester": {"useful": 1, "not_useful": 0},
                "host": {"useful": 0, "not_useful": 0},
            },
        ]
    }
    page = client.get("/ops", headers=OPS).get_data(as_text=True)
    assert 'id="feedback"' in page


def test_hosts_are_paged_busiest_first_or_idle_only(client, database_url):
    ids = [put_host(client, i, name=f"Host {i:02d}") for i in range(52)]
    busy = ask(client, 0)
    insert_match(database_url, busy, ids[30])
    half = ask(client, 1)
    insert_match(database_url, half, ids[40])
    with connect(database_url) as conn:
        conn.execute("UPDATE hosts SET monthly_capacity = 4 WHERE id = %s", (ids[40],))

    first = client.get("/ops/api/hosts?view=busiest&page=1", headers=OPS).json
    assert (first["total"], first["pages"], first["page_size"]) == (52, 2, 50)
    assert len(first["hosts"]) == 50
    assert [(h["host_id"], h["booked"]) for h in first["hosts"][:2]] == [
        (ids[30], 1),
        (ids[40], 1),
    ]
    assert first["hosts"][0]["utilisation"] == 0.5  # 1 of a capacity of 2
    second = client.get("/ops/api/hosts?view=busiest&page=2", headers=OPS).json
    assert [h["name"] for h in second["hosts"]] == ["Host 50", "Host 51"]

    idle = client.get("/ops/api/hosts?view=idle", headers=OPS).json
    assert idle["total"] == 50 and idle["view"] == "idle"
    assert ids[30] not in {h["host_id"] for h in idle["hosts"]}
    assert idle["hosts"][0]["name"] == "Host 00"
    assert client.get("/ops/api/hosts?view=lazy", headers=OPS).status_code == 422
    assert client.get("/ops/api/hosts?page=0", headers=OPS).status_code == 422

    page = client.get("/ops", headers=OPS).get_data(as_text=True)
    assert "/ops/api/hosts?view=busiest&amp;page=2" in page
    assert "/ops/api/hosts?view=idle&amp;page=1" in page


def test_the_dashboard_writes_times_in_the_readers_language_and_zone_and_heads_its_tables(
    client, database_url
):
    with connect(database_url) as conn:
        conn.execute(
            "INSERT INTO mail_outage (id, since, reason, updated_at) VALUES"
            " (true, '2026-12-02T06:39:16+00:00', 'connection refused', now())"
        )
        conn.execute(
            "INSERT INTO notifications (id, event_id, kind, recipient, context,"
            " message_id, status, attempts, last_error) VALUES (gen_random_uuid(),"
            " gen_random_uuid(), 'invitation', 'x@example.com', '{}', '<a@b>',"
            " 'failed', 8, '550 no such user')"
        )
    client.set_cookie("tz", "Europe/Paris")
    page = client.get(
        "/ops", headers=user("ops.person@example.com", "ops", lang="fr")
    ).get_data(as_text=True)
    outage = page[page.index('id="mail-outage"') :]
    assert "mercredi 2 décembre 2026 à 07:39" in outage[: outage.index("</p>")]
    assert "2026-12-02T06:39" not in page
    failed = page[page.index('id="failed-mail"') :]
    assert failed.index("<thead>") < failed.index("550 no such user")
    assert ">Destinataire</th>" in failed
