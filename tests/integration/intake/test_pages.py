"""The intranet pages and the email-link pages, through Flask's client."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from shared import links
from shared.db import connect
from tests.fixtures_intake import user
from tests.integration.intake.helpers import (
    count,
    future,
    host_body,
    insert_match,
    request_body,
)

CAMILLE = user("camille.durand@example.com")
NATHALIE = user("nathalie.renard@example.com")
PARIS = ZoneInfo("Europe/Paris")


def csrf(client, path, headers) -> str:
    page = client.get(path, headers=headers).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def request_form(day, **overrides) -> dict:
    form = {
        "name": "Camille Durand",
        "field": "management",
        "goal": "Discover the job",
        "format": "video",
        "duration_minutes": "30",
        "languages": ["fr"],
        "timezone": "Europe/Paris",
        "related_ok": "on",
        "win-0-date": day.strftime("%Y-%m-%d"),
        "win-0-start": "14:00",
        "win-0-end": "17:00",
        "referrer_name": "Jean Martin",
        "referrer_email": "jean.martin@example.com",
    }
    form.update(overrides)
    return form


def test_request_form_submits_and_lists_the_request(client, database_url):
    token = csrf(client, "/requests/new", CAMILLE)
    response = client.post(
        "/requests/new",
        data={**request_form(future(5)), "csrf_token": token},
        headers=CAMILLE,
    )
    assert response.status_code == 302
    page = client.get("/requests", headers=CAMILLE).get_data(as_text=True)
    assert "Management" in page and "status-submitted" in page  # the label
    assert count(database_url, "SELECT count(*) FROM requests") == 1


def test_request_form_without_csrf_token_is_refused(client, database_url):
    response = client.post(
        "/requests/new", data=request_form(future(5)), headers=CAMILLE
    )
    assert response.status_code == 400
    assert count(database_url, "SELECT count(*) FROM requests") == 0


def test_the_empty_request_form_says_what_to_do_naming_and_linking_each_field(
    client,
):
    headers = user("camille.durand@example.com", lang="en")
    token = csrf(client, "/requests/new", headers)
    empty = {k: "" for k in ("name", "goal", "win-0-date", "win-0-start", "win-0-end")}
    form = {**request_form(future(5)), **empty, "csrf_token": token}
    form.pop("languages", None)
    page = client.post("/requests/new", headers=headers, data=form).get_data(
        as_text=True
    )
    start = page.index('id="form-errors"')
    summary = page[start : page.index("</div>", start)]
    for anchor, text in (
        ("#name", "Your name: Give your name."),
        ("#goal", "What you would like to learn: Say in a few words"),
        ("#languages-", "Languages: Tick at least one language."),
        ("#win-0-date", "When you are available: Add at least one time when you"),
    ):
        assert f'href="{anchor}' in summary
        assert text in html.unescape(summary), summary
    assert "Length must be" not in page


def test_request_form_shows_errors_in_french(client, database_url):
    headers = user("camille.durand@example.com", lang="fr")
    token = csrf(client, "/requests/new", headers)
    response = client.post(
        "/requests/new",
        headers=headers,
        data={**request_form(future(5), **{"win-0-end": "14:10"}), "csrf_token": token},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Veuillez corriger" in page and "Plus court que la durée demandée." in page
    assert count(database_url, "SELECT count(*) FROM requests") == 0


def test_pages_follow_the_language_switch(client):
    assert 'lang="en"' in client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in client.get("/").get_data(
        as_text=True
    )  # remembered in a cookie
    assert "Demander un entretien" in client.get("/?lang=fr").get_data(as_text=True)


def test_host_form_saves_the_weekly_grid(client, database_url):
    token = csrf(client, "/host", NATHALIE)
    response = client.post(
        "/host",
        headers=NATHALIE,
        data={
            "csrf_token": token,
            "name": "Nathalie Renard",
            "fields": ["management", "strategy"],
            "languages": ["fr", "en"],
            "formats": ["video"],
            "timezone": "Europe/Paris",
            "durations": ["30", "60"],
            "monthly_capacity": "2",
            "tue-0-start": "09:00",
            "tue-0-end": "12:00",
            "thu-1-start": "14:00",
            "thu-1-end": "16:00",
            "active": "on",
        },
    )
    assert response.status_code == 302
    profile = client.get("/api/v1/hosts/me", headers=NATHALIE).json
    assert profile["weekly_availability"] == [
        {"day": "tue", "start": "09:00", "end": "12:00"},
        {"day": "thu", "start": "14:00", "end": "16:00"},
    ]
    assert 'value="09:00"' in client.get("/host", headers=NATHALIE).get_data(
        as_text=True
    )


def test_pages_need_an_identity(client):
    assert client.get("/requests").status_code == 401


@pytest.fixture
def invitation(client, database_url):
    host_id = client.put("/api/v1/hosts/me", json=host_body(), headers=NATHALIE).json[
        "id"
    ]
    rid = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE).json[
        "id"
    ]
    return rid, insert_match(database_url, rid, host_id)


def test_invitations_page_accepts(client, invitation):
    rid, mid = invitation
    page = client.get("/invitations", headers=NATHALIE).get_data(as_text=True)
    assert "Camille Durand" in page and "Jean Martin" in page
    token = csrf(client, "/invitations", NATHALIE)
    response = client.post(
        f"/invitations/{mid}/accept",
        data={"csrf_token": token, "location": "Salle 4"},
        headers=NATHALIE,
    )
    assert response.status_code == 302
    assert (
        client.get(f"/api/v1/requests/{rid}", headers=CAMILLE).json["status"]
        == "confirmed"
    )


def test_email_link_get_shows_and_post_accepts(client, settings, invitation):
    rid, mid = invitation
    token = links.make_token(settings.secret_key, "accept", mid)
    page = client.get(f"/l/{token}")
    assert page.status_code == 200 and "Camille Durand" in page.get_data(as_text=True)
    assert (
        client.get(f"/api/v1/requests/{rid}", headers=CAMILLE).json["status"]
        == "proposed"
    )  # GET did nothing
    csrf_token = re.search(
        r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)
    ).group(1)
    done = client.post(
        f"/l/{token}", data={"csrf_token": csrf_token, "location": "Visio Teams"}
    )
    assert done.status_code == 200
    assert (
        client.get(f"/api/v1/requests/{rid}", headers=CAMILLE).json["status"]
        == "confirmed"
    )
    again = client.post(f"/l/{token}", data={"csrf_token": csrf_token})
    assert again.status_code == 409


def test_an_accept_link_opened_again_says_when_it_was_accepted_and_offers_no_button(
    client, settings, invitation
):
    _, mid = invitation
    token = links.make_token(settings.secret_key, "accept", mid)
    page = client.get(f"/l/{token}?lang=en").get_data(as_text=True)
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(f"/l/{token}", data={"csrf_token": csrf_token, "location": "Salle 4"})

    again = client.get(f"/l/{token}?lang=en")
    text = again.get_data(as_text=True)
    assert again.status_code == 200
    assert "You accepted this meeting on" in text and "The meeting is on" in text
    assert "<button" not in text.split("<main", 1)[1]
    decline = links.make_token(settings.secret_key, "decline", mid)
    assert "You accepted this meeting on" in client.get(
        f"/l/{decline}?lang=en"
    ).get_data(as_text=True)
    refused = client.post(f"/l/{decline}", data={"csrf_token": csrf_token})
    assert refused.status_code == 409
    assert "You accepted this meeting on" in refused.get_data(as_text=True)


def test_a_link_to_an_invitation_that_was_declined_or_withdrawn_says_so(
    client, settings, invitation, database_url
):
    _, mid = invitation
    token = links.make_token(settings.secret_key, "accept", mid)
    with connect(database_url) as conn:
        conn.execute(
            "UPDATE matches SET status = 'declined', responded_at = now()"
            " WHERE id = %s",
            (mid,),
        )
    assert "You declined this invitation on" in client.get(
        f"/l/{token}?lang=en"
    ).get_data(as_text=True)
    with connect(database_url) as conn:
        conn.execute(
            "UPDATE matches SET status = 'expired', calendar_conflict = true"
            " WHERE id = %s",
            (mid,),
        )
    text = client.get(f"/l/{token}?lang=en").get_data(as_text=True)
    assert "This invitation was withdrawn on" in text
    assert "<button" not in text.split("<main", 1)[1]


def test_email_link_decline(client, settings, invitation):
    rid, mid = invitation
    token = links.make_token(settings.secret_key, "decline", mid)
    page = client.get(f"/l/{token}").get_data(as_text=True)
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert (
        client.post(
            f"/l/{token}", data={"csrf_token": csrf_token, "reason": "away"}
        ).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/requests/{rid}", headers=CAMILLE).json["status"]
        == "submitted"
    )


def test_tampered_or_foreign_link_is_refused(client, invitation):
    _, mid = invitation
    forged = links.make_token("another-secret-key-0123456789", "accept", mid)
    assert client.get(f"/l/{forged}").status_code == 400
    assert client.get("/l/garbage").status_code == 400
    assert (
        client.get(
            f"/l/{links.make_token('test-secret-key-0123456789abcdef', 'accept', uuid.uuid4())}"
        ).status_code
        == 400
    )


def test_expired_link_is_410(client, settings, invitation, monkeypatch):
    _, mid = invitation
    token = links.make_token(settings.secret_key, "accept", mid)
    import itsdangerous.timed

    later = (
        itsdangerous.timed.time.time()
        + (settings.response_timeout + timedelta(days=2)).total_seconds()
    )
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    assert client.get(f"/l/{token}").status_code == 410


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/x", "//evil.example", "/\\evil.example", "javascript:x"],
)
def test_dev_login_never_redirects_off_site(client, target):
    token = csrf(client, "/dev/login", {})
    response = client.post(
        "/dev/login",
        query_string={"next": target},
        data={"csrf_token": token, "email": "someone@example.com"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_dev_login_follows_a_local_next(client):
    token = csrf(client, "/dev/login", {})
    response = client.post(
        "/dev/login?next=/requests",
        data={"csrf_token": token, "email": "someone@example.com"},
    )
    assert response.headers["Location"] == "/requests"


def test_an_overlong_answer_on_a_link_page_is_an_html_page(
    client, settings, invitation
):
    _, mid = invitation
    token = links.make_token(settings.secret_key, "accept", mid)
    page = client.get(f"/l/{token}").get_data(as_text=True)
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/l/{token}?lang=en",
        data={"csrf_token": csrf_token, "location": "x" * 600},
    )
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "Place or video link: Length must be between 0 and 500." in html.unescape(
        response.get_data(as_text=True)
    )


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/requests/new",
        "/requests",
        "/host",
        "/invitations",
        "/ops",
        "/api/v1/requests",
        "/api/v1/docs",
        "/l/not-a-token",
        "/no-such-page",
    ],
)
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path, headers=user("ops.person@example.com", "ops", "hr"))
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    script = next(p for p in policy.split("; ") if p.startswith("script-src"))
    assert "unsafe-inline" not in script and "unsafe-eval" not in script
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_form_errors_are_announced_and_linked_to_their_fields(client):
    headers = user("camille.durand@example.com", lang="en")

    def errors_of(**fields) -> tuple[str, str]:
        token = csrf(client, "/requests/new", headers)
        form = {**request_form(future(5)), **fields, "csrf_token": token}
        page = client.post("/requests/new", headers=headers, data=form).get_data(
            as_text=True
        )
        start = page.index('id="form-errors"')
        return page, page[start : page.index("</div>", start)]

    page, summary = errors_of(name="")
    assert 'role="alert"' in page and 'href="#name"' in summary
    assert 'id="name" aria-invalid="true" aria-describedby="name-error"' in page
    assert 'id="name-error"' in page
    page, summary = errors_of(**{"win-0-end": "14:10"})
    assert 'href="#win-0-date"' in summary and 'id="availability.0-error"' in page
    assert (
        'id="win-0-end" aria-invalid="true" aria-describedby="availability.0-error"'
        in page
    )


def test_languages_are_named_in_the_readers_language(client):
    french = client.get(
        "/requests/new?lang=fr", headers=user("c@example.com")
    ).get_data(as_text=True)
    english = client.get(
        "/requests/new?lang=en", headers=user("c@example.com")
    ).get_data(as_text=True)
    assert "Allemand" in french and "German" in english


def test_my_requests_shows_labels_and_times_in_the_readers_zone_and_language(
    client, database_url
):
    field = {"fields": ["product-management"]}
    host_id = client.put(
        "/api/v1/hosts/me", json=host_body(**field), headers=NATHALIE
    ).json["id"]
    rid = client.post(
        "/api/v1/requests",
        json=request_body(field="product-management"),
        headers=user("camille.durand@example.com"),
    ).json["id"]
    start = datetime(2030, 1, 15, 13, 0, tzinfo=UTC)
    insert_match(database_url, rid, host_id, start=start)
    page = client.get(
        "/requests?lang=fr", headers=user("camille.durand@example.com", lang="fr")
    ).get_data(as_text=True)
    assert "Gestion de produit" in page and "product-management" not in page
    assert "mardi 15 janvier 2030 à 14:00 (Europe/Paris)" in page  # 13:00 UTC in Paris
    assert "2030-01-15T13:00:00+00:00" not in page


def test_sites_and_time_zones_are_chosen_from_lists(client):
    page = client.get("/requests/new?lang=en", headers=CAMILLE).get_data(as_text=True)
    assert '<select id="site"' in page and "<option >Paris-La Défense</option>" in page
    assert (
        '<select id="timezone"' in page
        and "<option selected>Europe/Paris</option>" in page
    )
    token = csrf(client, "/host", NATHALIE)
    form = {
        "name": "Nathalie Renard", "fields": ["management"], "languages": ["fr"],
        "formats": ["in_person"], "site": "Atlantis", "timezone": "Europe/Paris",
        "durations": ["30"], "monthly_capacity": "2", "active": "on",
    }  # fmt: skip
    refused = client.post("/host", headers=NATHALIE, data={**form, "csrf_token": token})
    assert refused.status_code == 422
    assert "Not one of the company" in refused.get_data(as_text=True)


def test_a_waiting_reason_is_shown_in_the_readers_language(client, database_url):
    rid = client.post(
        "/api/v1/requests",
        json=request_body(),
        headers=user("camille.durand@example.com"),
    ).json["id"]
    with connect(database_url) as conn:
        conn.execute(
            "UPDATE requests SET status = 'waitlisted', status_reason = %s WHERE id = %s",
            ("no other available host", rid),
        )
    page = client.get(
        "/requests?lang=fr", headers=user("camille.durand@example.com", lang="fr")
    ).get_data(as_text=True)
    assert "En attente d'un hôte" in page or "En attente d&#39;un hôte" in page
    assert (
        "aucun autre hôte disponible" in page and "no other available host" not in page
    )


def test_the_host_page_shows_the_next_free_slots_in_the_hosts_zone(client):
    client.put(
        "/api/v1/hosts/me",
        json=host_body(weekly_availability=[{"day": d, "start": "09:00", "end": "10:00"}
                       for d in ("mon", "tue", "wed", "thu", "fri")]),
        headers=NATHALIE,
    )  # fmt: skip
    page = client.get("/host?lang=fr", headers=NATHALIE).get_data(as_text=True)
    section = page[page.index('id="free-slots"') : page.index("</section>")]
    assert "Vos prochains créneaux libres" in section
    assert section.count("<li>") == 5 and "à 09:00 (Europe/Paris)" in section


class _Inputs(HTMLParser):
    """The values a browser would send for a page's first form with a csrf token."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and "name" in a:
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(a["name"], []).append(
                a.get("value", "on")
                if a.get("type") == "checkbox"
                else a.get("value", "")
            )
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self._pending = self._select

    def handle_data(self, data):
        if getattr(self, "_pending", None):
            self.data.setdefault(self._pending, []).append(data)
            self._pending = None

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def _day(ahead: int) -> str:
    return (datetime.now(PARIS).date() + timedelta(days=ahead)).isoformat()


def _days_off(ahead: int, days: int) -> dict:
    """Whole days off in Paris, as the form saves them."""
    first = datetime.fromisoformat(f"{_day(ahead)}T00:00").replace(tzinfo=PARIS)
    last = datetime.fromisoformat(f"{_day(ahead + days - 1)}T23:59")
    return {"start": first.isoformat(), "end": last.replace(tzinfo=PARIS).isoformat()}


def test_saving_the_host_form_unchanged_keeps_the_whole_profile(client):
    saved = host_body(
        weekly_availability=[
            {"day": "mon", "start": "08:00", "end": "09:00"},
            {"day": "mon", "start": "12:00", "end": "13:00"},
            {"day": "mon", "start": "18:00", "end": "24:00"},
            {"day": "sat", "start": "00:00", "end": "24:00"},
        ],
        unavailable=[_days_off(30, 4), _days_off(60, 1), _days_off(90, 2)],
    )
    put = client.put("/api/v1/hosts/me", json=saved, headers=NATHALIE)
    assert put.status_code == 201, put.json
    before = client.get("/api/v1/hosts/me", headers=NATHALIE).json
    inputs = _Inputs()
    inputs.feed(client.get("/host?lang=en", headers=NATHALIE).get_data(as_text=True))
    form = {k: v if len(v) > 1 else v[0] for k, v in inputs.data.items()}
    assert form["mon-2-end"] == "00:00" and form["off-2-start"] == _day(90)
    assert client.post("/host", headers=NATHALIE, data=form).status_code == 302
    after = client.get("/api/v1/hosts/me", headers=NATHALIE).json
    for key in ("weekly_availability", "unavailable", "fields", "languages", "site"):
        assert after[key] == before[key], key


PAGE_TITLES = {
    "/": "Network interviews",
    "/requests/new": "Ask for an interview — Network interviews",
    "/requests": "My requests — Network interviews",
    "/host": "My host profile — Network interviews",
    "/invitations": "My invitations — Network interviews",
    "/api/v1/docs": "API reference — Network interviews",
}


def test_each_page_has_its_own_title_and_a_skip_link_first(client):
    headers = user("camille.durand@example.com", lang="en")
    for path, title in PAGE_TITLES.items():
        page = client.get(path, headers=headers).get_data(as_text=True)
        assert re.search(r"<title>([^<]*)</title>", page).group(1) == title, path
        body = page[page.index("<body>") + len("<body>") :].lstrip()
        assert body.startswith('<a class="skip" href="#content">Skip to content</a>')
        assert '<main id="content"' in page


def test_labels_for_assistive_technology_are_in_the_pages_language(client):
    page = client.get("/", headers=user("camille.durand@example.com", lang="fr"))
    text = page.get_data(as_text=True)
    assert '<nav aria-label="Menu principal">' in text
    assert "Aller au contenu" in text


def test_accepting_and_declining_are_two_separate_groups(client, invitation):
    page = client.get(
        "/invitations", headers={**NATHALIE, "Accept-Language": "en"}
    ).get_data(as_text=True)
    groups = re.findall(r"<fieldset[^>]*><legend>([^<]*)</legend>", page)
    assert groups == ["Accept this meeting", "Decline this meeting"]
    accept = page[
        page.index("Accept this meeting") : page.index("Decline this meeting")
    ]
    assert 'name="location"' in accept and 'name="note"' in accept
    assert 'name="reason"' not in accept
