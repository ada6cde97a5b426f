"""Who may call what: every endpoint of intake, for every kind of caller.

`ROWS` is the authorization matrix of docs/security.md. Each row is one
(method, rule) of intake's URL map, or one variant of it (an unknown id, a
forged link), with the status each caller gets:

- nobody: no identity at all;
- stranger: a signed-in employee with no relation to the objects;
- requester: the employee who made the request;
- host: the host invited by the match;
- ops: a member of OPS_GROUP (`ops`): the pipeline, no one's data;
- hr: a member of HR_GROUP (`hr`): the programme and people's data;
- dpo: a member of AUDIT_GROUP (`dpo`): the access trail.

Every case runs on its own database with the same objects: the host's
profile, the requester's request, a proposed match inviting the host, a
dead letter, a failed email and a message in the mail sink.
`test_every_endpoint_has_a_row` fails when an endpoint has no row.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from services.intake import wiring as intake_wiring
from services.matcher import wiring as matcher_wiring
from services.notifier import wiring as notifier_wiring
from shared import config, health, links, service
from shared import kafka as kafka_clients
from shared.db import connect
from shared.topics import Names
from tests.feeds import shared_server
from tests.fixtures_intake import user
from tests.integration.intake.helpers import (
    future,
    host_body,
    insert_match,
    request_body,
)
from tests.support import ROOT

NOBODY, STRANGER, REQUESTER, HOST, OPS, HR, DPO = (
    "nobody",
    "stranger",
    "requester",
    "host",
    "ops",
    "hr",
    "dpo",
)
CALLERS = (NOBODY, STRANGER, REQUESTER, HOST, OPS, HR, DPO)
EMAILS = {
    STRANGER: "stranger@example.com",
    REQUESTER: "requester@example.com",
    HOST: "host@example.com",
    OPS: "ops.person@example.com",
    HR: "hr.person@example.com",
    DPO: "dpo.person@example.com",
}
HEADERS = {
    NOBODY: {"Accept-Language": "en"},
    STRANGER: user(EMAILS[STRANGER]),
    REQUESTER: user(EMAILS[REQUESTER]),
    HOST: user(EMAILS[HOST]),
    OPS: user(EMAILS[OPS], "ops"),
    HR: user(EMAILS[HR], "hr"),
    DPO: user(EMAILS[DPO], "dpo"),
}
LEAVER = "leaver@example.com"
HEALTH = ("/healthz", "/readyz", "/metrics")
MAIL = "20261126T090000-abc.eml"


# -- what each kind of endpoint answers ------------------------------------


def everyone(status: int) -> dict[str, int]:
    """Public: the same answer whoever asks, signed in or not."""
    return dict.fromkeys(CALLERS, status)


def signed_in(status: int) -> dict[str, int]:
    """Any employee, about themselves; nobody gets 401."""
    return {**everyone(status), NOBODY: 401}


def owner_or_hr(status: int) -> dict[str, int]:
    """The request's owner and HR; anyone else (the invited host, ops, the
    DPO) 403."""
    return {**signed_in(403), REQUESTER: status, HR: status}


def invited_host(status: int) -> dict[str, int]:
    """Only the invited host answers; not the requester, not even staff."""
    return {**signed_in(403), HOST: status}


def staff(status: int, *roles: str) -> dict[str, int]:
    """Only the staff roles named; every other employee 403."""
    return {**signed_in(403), **dict.fromkeys(roles, status)}


# -- the objects every case starts from ------------------------------------


@dataclass(frozen=True)
class World:
    database_url: str
    secret_key: str
    response_timeout: timedelta
    host_id: str
    request_id: str
    match_id: uuid.UUID
    dead_letter_id: int
    notification_id: uuid.UUID

    def token(self, action: str = "accept") -> str:
        return links.make_token(self.secret_key, action, self.match_id)

    def forged_token(self) -> str:
        """Well formed, but signed with another key."""
        return links.make_token(
            "another-secret-key-0123456789", "accept", self.match_id
        )

    def expired_token(self) -> str:
        """An accept link signed a day after its grace ended."""
        age = (self.response_timeout + timedelta(days=2)).total_seconds()

        class Signed(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(time.time() - age)

        return URLSafeTimedSerializer(
            self.secret_key, salt=links.SALT, signer=Signed
        ).dumps({"a": "accept", "m": str(self.match_id), "w": "host"})


@pytest.fixture(scope="module")
def module_names(kafka_broker):
    n = Names(f"t{uuid.uuid4().hex[:10]}-")
    kafka_clients.ensure_topics((kafka_broker.bootstrap,), n.all(), partitions=3)
    return n


@pytest.fixture
def names(module_names):
    """Nothing here publishes or consumes: one set of topics serves every case."""
    return module_names


@pytest.fixture
def intake(app, settings, tmp_path):
    """Intake's app as a process serves it: with `/healthz`, `/readyz` and
    `/metrics` (shared/service.py adds them), and a mail sink folder (as
    `make run` sets MAIL_SINK_DIR) so that `/ops/mail` exists."""
    rt = app.extensions["runtime"]
    app.register_blueprint(health.blueprint(rt.readiness, "intake"))
    sink = tmp_path / "mail"
    sink.mkdir()
    (sink / MAIL).write_bytes(
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Bonjour\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello there\r\n"
    )
    rt.settings = dataclasses.replace(rt.settings, mail_sink_dir=sink)
    return app


@pytest.fixture
def world(intake, client, database_url, settings) -> World:
    host = client.put("/api/v1/hosts/me", json=host_body(), headers=HEADERS[HOST])
    assert host.status_code == 201
    calendar = client.put(
        "/api/v1/hosts/me/calendar", json=calendar_body(), headers=HEADERS[HOST]
    )
    assert calendar.status_code == 200, calendar.get_data(as_text=True)
    request = client.post(
        "/api/v1/requests", json=request_body(), headers=HEADERS[REQUESTER]
    )
    assert request.status_code == 202
    match_id = insert_match(database_url, request.json["id"], host.json["id"])
    notification_id = uuid.uuid4()
    with connect(database_url) as conn:
        dead_letter_id = conn.execute(
            'INSERT INTO dead_letters (consumer, topic, partition, "offset", value,'
            " reason, error) VALUES ('matcher', 'intro-requests', 0, 0, '\\x7b7d',"
            " 'handler-failed', 'RuntimeError: boom') RETURNING id"
        ).fetchone()["id"]
        conn.execute(
            "INSERT INTO notifications (id, event_id, kind, recipient, context,"
            " message_id, status, attempts, last_error) VALUES (%s, %s, 'invitation',"
            " 'x@example.com', '{}', '<m@x>', 'failed', 8, '550 no such user')",
            (notification_id, uuid.uuid4()),
        )
    return World(
        database_url=database_url,
        secret_key=settings.secret_key,
        response_timeout=settings.response_timeout,
        host_id=host.json["id"],
        request_id=request.json["id"],
        match_id=match_id,
        dead_letter_id=dead_letter_id,
        notification_id=notification_id,
    )


def calendar_body() -> dict:
    return {"kind": "ics", "url": shared_server().url("/cal.ics")}


def csrf_token(client) -> str:
    """A CSRF token for this client's session (the forms carry one)."""
    page = client.get("/dev/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def request_form() -> dict:
    return {
        "name": "Camille Durand",
        "field": "management",
        "goal": "Discover the job",
        "format": "video",
        "duration_minutes": "30",
        "languages": ["fr"],
        "timezone": "Europe/Paris",
        "related_ok": "on",
        "win-0-date": future(5).strftime("%Y-%m-%d"),
        "win-0-start": "14:00",
        "win-0-end": "17:00",
    }


def host_form() -> dict:
    return {
        "name": "Nathalie Renard",
        "fields": ["management"],
        "languages": ["fr"],
        "formats": ["video"],
        "timezone": "Europe/Paris",
        "durations": ["30"],
        "monthly_capacity": "2",
        "tue-0-start": "09:00",
        "tue-0-end": "12:00",
        "active": "on",
    }


# -- what a caller must not see, beyond the status -------------------------


def sees_only_own_requests(response, who: str, w: World) -> None:
    ids = [r["id"] for r in response.json["requests"]]
    assert (w.request_id in ids) == (who == REQUESTER)


def sees_only_own_invitations(response, who: str, w: World) -> None:
    ids = [m["id"] for m in response.json["invitations"]]
    assert (str(w.match_id) in ids) == (who == HOST)


def exports_only_own_data(response, who: str, w: World) -> None:
    body = response.json
    assert body["email"] == EMAILS[who]
    assert ([r["id"] for r in body["requests"]] == [w.request_id]) == (who == REQUESTER)
    assert ([m["id"] for m in body["invitations"]] == [str(w.match_id)]) == (
        who == HOST
    )
    assert (body["host_profile"] is not None) == (who == HOST)


def forgets_only_self(response, who: str, w: World) -> None:
    assert response.json["deleted"] == {
        "requests": int(who == REQUESTER),
        "host_profile": int(who == HOST),
    }
    with connect(w.database_url) as conn:
        requester = conn.execute(
            "SELECT requester_email FROM requests WHERE id = %s", (w.request_id,)
        ).fetchone()["requester_email"]
        host = conn.execute(
            "SELECT email FROM hosts WHERE id = %s", (w.host_id,)
        ).fetchone()["email"]
    assert (requester == EMAILS[REQUESTER]) == (who != REQUESTER)
    assert (host == EMAILS[HOST]) == (who != HOST)


def page_lists_own_requests(response, who: str, w: World) -> None:
    assert (w.request_id in response.get_data(as_text=True)) == (who == REQUESTER)


def page_lists_own_invitations(response, who: str, w: World) -> None:
    assert (str(w.match_id) in response.get_data(as_text=True)) == (who == HOST)


# -- the matrix ------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    method: str
    rule: str
    expect: dict[str, int]
    path: Callable[[World], str] | None = None  # default: the rule itself
    json: Callable[[], dict] | None = None
    form: Callable[[], dict] | None = None  # posted with a valid CSRF token
    variant: str = ""
    check: Callable | None = None

    def url(self, w: World) -> str:
        return self.path(w) if self.path else self.rule


ROWS = (
    # public pages and documents
    Row("GET", "/", everyone(200)),
    Row("GET", "/favicon.ico", everyone(200)),
    Row("GET", "/api/v1/fields", everyone(200)),
    Row("GET", "/api/v1/openapi.json", everyone(200)),
    Row("GET", "/api/v1/docs", everyone(200)),
    Row(
        "GET",
        "/api/v1/docs/assets/<name>",
        everyone(200),
        path=lambda w: "/api/v1/docs/assets/swagger-ui.css",
    ),
    *(Row("GET", p, everyone(200)) for p in HEALTH),
    # AUTH_MODE=dev only (404 in proxy mode: test_proxy_mode_...)
    Row("GET", "/dev/login", everyone(200)),
    Row(
        "POST",
        "/dev/login",
        everyone(302),
        form=lambda: {"email": "someone@example.com"},
    ),
    # the JSON API: one's own host profile, requests, invitations, data
    Row("GET", "/api/v1/hosts", signed_in(200)),
    Row(
        "POST",
        "/api/v1/fields/suggestions",
        signed_in(200),
        json=lambda: {"goal": "I would like to understand how data pipelines run"},
    ),
    Row("GET", "/api/v1/hosts/me", {**signed_in(404), HOST: 200}),
    Row("PUT", "/api/v1/hosts/me", {**signed_in(201), HOST: 200}, json=host_body),
    Row("GET", "/api/v1/hosts/me/calendar", {**signed_in(409), HOST: 200}),
    Row(
        "PUT",
        "/api/v1/hosts/me/calendar",
        {**signed_in(409), HOST: 200},
        json=calendar_body,
    ),
    Row("POST", "/api/v1/hosts/me/calendar/check", {**signed_in(409), HOST: 200}),
    Row("DELETE", "/api/v1/hosts/me/calendar", {**signed_in(409), HOST: 204}),
    Row("POST", "/api/v1/requests", signed_in(202), json=request_body),
    Row("GET", "/api/v1/requests", signed_in(200), check=sees_only_own_requests),
    Row(
        "GET",
        "/api/v1/requests/<request_id>",
        owner_or_hr(200),
        path=lambda w: f"/api/v1/requests/{w.request_id}",
    ),
    Row(
        "GET",
        "/api/v1/requests/<request_id>",
        signed_in(404),
        path=lambda w: f"/api/v1/requests/{uuid.uuid4()}",
        variant="unknown id",
    ),
    Row(
        "POST",
        "/api/v1/requests/<request_id>/cancel",
        owner_or_hr(200),
        path=lambda w: f"/api/v1/requests/{w.request_id}/cancel",
    ),
    Row(
        "GET",
        "/api/v1/invitations",
        signed_in(200),
        check=sees_only_own_invitations,
    ),
    Row(
        "POST",
        "/api/v1/matches/<match_id>/<answer>",
        invited_host(200),
        path=lambda w: f"/api/v1/matches/{w.match_id}/accept",
    ),
    Row(
        "POST",
        "/api/v1/matches/<match_id>/<answer>",
        signed_in(404),
        path=lambda w: f"/api/v1/matches/{uuid.uuid4()}/decline",
        variant="unknown id",
    ),
    Row("GET", "/api/v1/me/export", signed_in(200), check=exports_only_own_data),
    Row("DELETE", "/api/v1/me", signed_in(200), check=forgets_only_self),
    # the intranet pages (forms with a CSRF token)
    Row("GET", "/requests/new", signed_in(200)),
    Row("POST", "/requests/new", signed_in(302), form=request_form),
    Row("GET", "/requests", signed_in(200), check=page_lists_own_requests),
    Row(
        "POST",
        "/requests/<request_id>/cancel",
        owner_or_hr(302),
        path=lambda w: f"/requests/{w.request_id}/cancel",
        form=dict,
    ),
    Row("GET", "/host", signed_in(200)),
    Row("POST", "/host", signed_in(302), form=host_form),
    Row(
        "POST",
        "/host/calendar",
        {**signed_in(409), HOST: 302},
        form=calendar_body,
    ),
    Row("POST", "/host/calendar/check", {**signed_in(409), HOST: 302}, form=dict),
    Row("POST", "/host/calendar/disconnect", {**signed_in(409), HOST: 302}, form=dict),
    Row("GET", "/invitations", signed_in(200), check=page_lists_own_invitations),
    Row(
        "POST",
        "/invitations/<match_id>/<action>",
        invited_host(302),
        path=lambda w: f"/invitations/{w.match_id}/accept",
        form=lambda: {"location": "Salle 4"},
    ),
    # email links: the signed token is the authority, whoever follows it
    Row("GET", "/l/<token>", everyone(200), path=lambda w: f"/l/{w.token()}"),
    Row(
        "POST",
        "/l/<token>",
        everyone(200),
        path=lambda w: f"/l/{w.token()}",
        form=lambda: {"location": "Salle 4"},
    ),
    Row(
        "GET",
        "/l/<token>",
        everyone(400),
        path=lambda w: f"/l/{w.forged_token()}",
        variant="forged token",
    ),
    Row(
        "POST",
        "/l/<token>",
        everyone(400),
        path=lambda w: f"/l/{w.forged_token()}",
        form=lambda: {"location": "Salle 4"},
        variant="forged token",
    ),
    Row(
        "GET",
        "/l/<token>",
        everyone(400),
        path=lambda w: "/l/not-a-token",
        variant="garbage token",
    ),
    Row(
        "GET",
        "/l/<token>",
        everyone(400),
        path=lambda w: f"/l/{links.make_token(w.secret_key, 'accept', uuid.uuid4())}",
        variant="another match",
    ),
    Row(
        "GET",
        "/l/<token>",
        everyone(410),
        path=lambda w: f"/l/{w.expired_token()}",
        variant="expired token",
    ),
    Row(
        "POST",
        "/l/<token>",
        everyone(410),
        path=lambda w: f"/l/{w.expired_token()}",
        form=lambda: {"location": "Salle 4"},
        variant="expired token",
    ),
    Row(
        "POST",
        "/l/<token>",
        everyone(400),
        path=lambda w: f"/l/{w.token('useful')}",
        form=dict,
        variant="feedback before the meeting",
    ),
    # the staff's dashboard and its JSON API: the pipeline (ops), the
    # programme and people's data (hr), the access trail (dpo)
    Row("GET", "/ops", staff(200, OPS, HR)),
    Row("GET", "/ops/", staff(200, OPS, HR)),
    Row("GET", "/ops/api/summary", staff(200, OPS, HR)),
    Row("GET", "/ops/api/requests", staff(200, HR)),
    Row(
        "GET",
        "/ops/api/requests/<request_id>/timeline",
        staff(200, OPS, HR),
        path=lambda w: f"/ops/api/requests/{w.request_id}/timeline",
    ),
    Row("GET", "/ops/api/consumers", staff(200, OPS)),
    Row("GET", "/ops/api/outbox", staff(200, OPS)),
    Row("GET", "/ops/api/dead-letters", staff(200, OPS, HR)),
    Row(
        "POST",
        "/ops/api/dead-letters/<int:dead_letter_id>/replay",
        staff(202, OPS),
        path=lambda w: f"/ops/api/dead-letters/{w.dead_letter_id}/replay",
    ),
    Row("GET", "/ops/api/notifications/failed", staff(200, OPS, HR)),
    Row(
        "POST",
        "/ops/api/notifications/<notification_id>/retry",
        staff(202, OPS),
        path=lambda w: f"/ops/api/notifications/{w.notification_id}/retry",
    ),
    Row("POST", "/ops/api/notifications/retry", staff(202, OPS), json=dict),
    Row("POST", "/ops/notifications/retry", staff(302, OPS), form=dict),
    Row("GET", "/ops/mail", staff(200, OPS, HR)),
    Row("GET", "/ops/export/requests.csv", staff(200, HR)),
    Row("GET", "/ops/export/matches.csv", staff(200, HR)),
    Row(
        "GET",
        "/ops/export/requests.csv",
        staff(200, HR),
        path=lambda w: "/ops/export/requests.csv?personal=1",
        variant="names and emails",
    ),
    Row(
        "GET",
        "/ops/export/matches.csv",
        staff(200, HR),
        path=lambda w: "/ops/export/matches.csv?personal=1",
        variant="names and emails",
    ),
    Row("GET", "/ops/api/trend", staff(200, OPS, HR)),
    Row("GET", "/ops/api/feedback", staff(200, OPS, HR)),
    Row("GET", "/ops/api/hosts", staff(200, HR)),
    Row(
        "GET",
        "/ops/mail/<name>",
        staff(200, OPS, HR),
        path=lambda w: f"/ops/mail/{MAIL}",
    ),
    Row("GET", "/ops/api/reports", staff(200, HR)),
    Row("GET", "/ops/export/reports.csv", staff(200, HR)),
    Row("GET", "/ops/people", staff(200, HR)),
    Row(
        "POST",
        "/ops/people/forget",
        staff(200, HR),
        form=lambda: {"emails": LEAVER},
    ),
    Row(
        "POST",
        "/ops/api/people/forget",
        staff(200, HR),
        json=lambda: {"emails": [LEAVER]},
    ),
    Row(
        "GET",
        "/ops/api/people/export",
        staff(200, HR),
        path=lambda w: f"/ops/api/people/export?email={EMAILS[REQUESTER]}",
    ),
    Row("GET", "/ops/api/audit", staff(200, DPO)),
    Row("GET", "/ops/audit", staff(200, DPO)),
    Row("GET", "/ops/export/audit.csv", staff(200, DPO)),
)


def case_id(row: Row, who: str) -> str:
    variant = f" ({row.variant})" if row.variant else ""
    return f"{row.method} {row.rule}{variant} as {who} -> {row.expect[who]}"


CASES = [
    pytest.param(row, who, id=case_id(row, who)) for row in ROWS for who in CALLERS
]


@pytest.mark.parametrize(("row", "who"), CASES)
def test_authorization_matrix(row: Row, who: str, client, world: World):
    options = {}
    if row.json is not None:
        options["json"] = row.json()
    if row.form is not None:
        options["data"] = {**row.form(), "csrf_token": csrf_token(client)}
    response = client.open(
        row.url(world), method=row.method, headers=HEADERS[who], **options
    )
    assert response.status_code == row.expect[who], response.get_data(as_text=True)[
        :400
    ]
    if row.check is not None and response.status_code < 300:
        row.check(response, who, world)


def test_every_endpoint_has_a_row(intake):
    served = {
        (rule.rule, method)
        for rule in intake.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(row.rule, row.method) for row in ROWS}
    assert served - listed == set(), "endpoints without a row in ROWS"
    assert listed - served == set(), "rows in ROWS for endpoints that do not exist"


# -- the matrix in docs/security.md, written from ROWS ------------------------

MATRIX_BEGIN = (
    "<!-- the matrix: written from ROWS of tests/integration/test_authorization.py"
    " by `python -m tests.integration.test_authorization` -->"
)
MATRIX_END = "<!-- end of the matrix -->"
SECURITY_DOC = ROOT / "docs" / "security.md"
TITLES = {NOBODY: "nobody", STRANGER: "stranger", REQUESTER: "requester",
          HOST: "invited host", OPS: "ops", HR: "hr", DPO: "dpo"}  # fmt: skip


def matrix() -> str:
    """Every row this test checks, as a Markdown table."""
    lines = [
        "| method | endpoint | " + " | ".join(TITLES[c] for c in CALLERS) + " |",
        "| --- | --- |" + " --- |" * len(CALLERS),
    ]
    for row in ROWS:
        rule = f"`{row.rule}`" + (f" ({row.variant})" if row.variant else "")
        cells = " | ".join(str(row.expect[c]) for c in CALLERS)
        lines.append(f"| {row.method} | {rule.replace('|', chr(92) + '|')} | {cells} |")
    return "\n".join(lines)


def test_the_security_document_lists_every_row_this_test_checks():
    text = SECURITY_DOC.read_text(encoding="utf-8")
    assert MATRIX_BEGIN in text and MATRIX_END in text
    written = text.split(MATRIX_BEGIN, 1)[1].split(MATRIX_END, 1)[0].strip()
    assert written == matrix(), (
        "docs/security.md's matrix is not this test's:"
        " python -m tests.integration.test_authorization writes it anew"
    )


def write_matrix() -> None:
    text = SECURITY_DOC.read_text(encoding="utf-8")
    before, rest = text.split(MATRIX_BEGIN, 1)
    after = rest.split(MATRIX_END, 1)[1]
    SECURITY_DOC.write_text(
        f"{before}{MATRIX_BEGIN}\n{matrix()}\n{MATRIX_END}{after}", encoding="utf-8"
    )


# -- every process, and the ways of being someone ---------------------------


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        pytest.param("intake", intake_wiring.wire, id="intake"),
        pytest.param("matcher", matcher_wiring.wire, id="matcher"),
        pytest.param("notifier", notifier_wiring.wire, id="notifier"),
    ],
)
def test_every_process_serves_its_health_endpoints_to_anyone(
    name, wire, intake, service_env, monkeypatch
):
    """The app each process runs (shared.service.prepare): the matcher and
    the notifier serve nothing but the public health endpoints; intake serves
    exactly the endpoints of the matrix."""
    monkeypatch.setattr(
        service, "load_settings_or_exit", lambda _: config.load(service_env)
    )
    monkeypatch.setattr(service.logs, "setup", lambda *args, **kwargs: None)
    runtime, _, app = service.prepare(name, wire)
    try:
        rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint != "static"}
        if name == "intake":
            assert rules == {
                r.rule for r in intake.url_map.iter_rules() if r.endpoint != "static"
            }
        else:
            assert rules == set(HEALTH)
        client = app.test_client()
        for path in HEALTH:
            assert client.get(path).status_code == 200, path
        assert client.get("/readyz").json["checks"] == {
            "database": "ok",
            "kafka": "ok",
        }
    finally:
        runtime.pool.close()


def test_proxy_mode_trusts_identity_headers_only_from_the_proxy(intake, world):
    rt = intake.extensions["runtime"]
    rt.settings = dataclasses.replace(
        rt.settings,
        auth_mode="proxy",
        trusted_proxies=(ipaddress.ip_network("10.1.2.3/32"),),
    )
    proxy = intake.test_client()
    proxy.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    direct = intake.test_client()
    direct.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    mine = f"/api/v1/requests/{world.request_id}"
    assert proxy.get(mine, headers=HEADERS[REQUESTER]).status_code == 200
    assert proxy.get(mine, headers=HEADERS[STRANGER]).status_code == 403
    assert direct.get(mine, headers=HEADERS[REQUESTER]).status_code == 401
    assert direct.get("/ops/api/summary", headers=HEADERS[OPS]).status_code == 401
    assert proxy.get("/dev/login").status_code == 404
    assert direct.get("/dev/login").status_code == 404


def test_bearer_tokens_name_their_identity_and_groups(intake, world):
    rt = intake.extensions["runtime"]
    rt.settings = dataclasses.replace(
        rt.settings,
        api_tokens={
            "ops-token-0123456789": ("robot@example.com", ("ops",)),
            "requester-token-0123456789": (EMAILS[REQUESTER], ()),
        },
    )
    client = intake.test_client()

    def bearer(token):
        return {"Authorization": f"Bearer {token}"}

    mine = f"/api/v1/requests/{world.request_id}"
    assert (
        client.get(mine, headers=bearer("requester-token-0123456789")).status_code
        == 200
    )
    assert client.get(mine, headers=bearer("not-a-token-0123456789")).status_code == 401
    summary = "/ops/api/summary"
    assert (
        client.get(summary, headers=bearer("ops-token-0123456789")).status_code == 200
    )
    assert (
        client.get(summary, headers=bearer("requester-token-0123456789")).status_code
        == 403
    )


def test_a_write_from_another_site_is_refused(client, world, runtime):
    """The JSON API and ops endpoints take no CSRF token: a browser's
    cross-site write carries an Origin, and only this site's, the public
    base URL's, is accepted (never the one the Host header names); a
    browser's write that says it comes from another site is refused."""
    url = f"/api/v1/requests/{world.request_id}/cancel"
    evil = {**HEADERS[REQUESTER], "Origin": "https://evil.example"}
    assert client.post(url, headers=evil).status_code == 403
    assert (
        client.post(
            "/ops/api/dead-letters/1/replay",
            headers={**HEADERS[OPS], "Origin": "https://evil.example"},
        ).status_code
        == 403
    )
    mine = client.get(
        f"/api/v1/requests/{world.request_id}", headers=HEADERS[REQUESTER]
    )
    assert mine.json["status"] == "proposed"
    host_header = {**HEADERS[REQUESTER], "Origin": "http://localhost"}
    assert client.post(url, headers=host_header).status_code == 403
    other_site = {**HEADERS[REQUESTER], "Sec-Fetch-Site": "cross-site"}
    assert client.post(url, headers=other_site).status_code == 403
    same = {**HEADERS[REQUESTER], "Origin": runtime.settings.public_base_url}
    assert client.post(url, headers=same).status_code == 200


def test_the_dashboard_form_is_refused_without_its_token(client):
    """The ops dashboard's one form (send the failed emails again) carries a
    CSRF token like every other form; without it, refused."""
    ops = HEADERS[OPS]
    refused = client.post("/ops/notifications/retry", data={"kind": ""}, headers=ops)
    assert refused.status_code == 400
    page = client.get("/requests/new", headers=ops).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    sent = client.post(
        "/ops/notifications/retry", data={"kind": "", "csrf_token": token}, headers=ops
    )
    assert sent.status_code == 302


if __name__ == "__main__":
    write_matrix()
