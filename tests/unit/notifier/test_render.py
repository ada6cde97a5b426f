"""Rendering and composing messages (pure logic)."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import timedelta
from types import SimpleNamespace

import icalendar
import pytest

from services.notifier import domain, render
from services.notifier.domain import SCHEDULED
from shared.config import DEFAULT_FIELDS_FILE
from shared.fields import load_taxonomy
from shared.i18n import Catalogs

KINDS = sorted(p.name for p in render.TEMPLATES.iterdir() if not p.name.startswith("_"))
SETTINGS = SimpleNamespace(
    mail_from="Entretiens réseau <no-reply@matchmaker.local>",
    notify_retry_base=timedelta(seconds=30),
)
PERSON = {
    "email": "camille.durand@example.com",
    "name": "Camille Durand",
    "locale": "fr",
    "timezone": "Europe/Paris",
}
HOST = {
    "email": "nathalie.renard@example.com",
    "name": "Nathalie Renard",
    "locale": "en",
    "timezone": "America/New_York",
}
CONTEXT = {
    "to": PERSON,
    "requester": PERSON,
    "host": HOST,
    "role": "requester",
    "reason": "no host free",
    "calendar": None,
    "since": "2026-11-30T09:00:00+00:00",
    "request": {
        "id": str(uuid.uuid4()),
        "field": "management",
        "goal": "Discover the job",
        "format": "video",
        "duration_minutes": 30,
        "referrer_name": "Jean Martin",
        "referrer_email": "jean@example.com",
        "status_reason": None,
    },
    "match": {
        "id": str(uuid.uuid4()),
        "start": "2026-12-01T14:00:00+00:00",
        "end": "2026-12-01T14:30:00+00:00",
        "format": "video",
        "expires_at": "2026-11-29T09:00:00+00:00",
        "location": "Salle 4",
        "note": None,
        "status": "accepted",
    },
    "links": {
        "accept": "http://127.0.0.1:8000/l/a",
        "decline": "http://127.0.0.1:8000/l/d",
        "useful": "http://127.0.0.1:8000/l/u",
        "not_useful": "http://127.0.0.1:8000/l/n",
        "host_page": "http://127.0.0.1:8000/host",
    },
}


@pytest.fixture(scope="module")
def renderer():
    return render.Renderer(load_taxonomy(DEFAULT_FIELDS_FILE), Catalogs())


def test_every_kind_has_its_three_templates():
    assert len(KINDS) == 15
    assert {p.name for p in (render.TEMPLATES / "_base").iterdir()} == {
        "body.txt",
        "body.html",
    }
    for kind in KINDS:
        assert {p.name for p in (render.TEMPLATES / kind).iterdir()} == {
            "subject.txt",
            "body.txt",
            "body.html",
        }
    assert set(SCHEDULED) <= set(KINDS)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_both_languages(renderer, kind, lang):
    subject, text, html = renderer.render(kind, lang, CONTEXT)
    assert subject and "\n" not in subject
    assert "Camille Durand" in text and "<p>" in html
    assert ("Bonjour" in text) == (lang == "fr")
    assert ("Bonjour" in html) == (lang == "fr")
    assert f'<html lang="{lang}">' in html
    footer = "— Entretiens réseau" if lang == "fr" else "— Network interviews"
    assert text.endswith(f"\n\n{footer}\n") and footer in html
    assert "\n\n\n" not in text  # one blank line between paragraphs


def test_an_unknown_language_falls_back_to_french(renderer):
    assert renderer.render("reminder", "de", CONTEXT) == renderer.render(
        "reminder", "fr", CONTEXT
    )


def test_the_invitation_reads_as_before_in_both_languages(renderer):
    context = {**CONTEXT, "to": HOST}
    subject, text, html = renderer.render("invitation", "fr", context)
    assert subject == "Camille Durand aimerait échanger avec vous sur votre métier"
    assert text == (
        "Bonjour Nathalie Renard,\n\n"
        "Camille Durand s'intéresse au métier «\u202fManagement\u202f» et aimerait un"
        " entretien réseau avec vous. Jean Martin lui a recommandé cette"
        " démarche.\n\n"
        "Son objectif, avec ses mots\u202f: «\u202fDiscover the job\u202f»\n\n"
        "Nous vous avons choisi parce que vous travaillez dans ce domaine et que"
        " vous êtes libre à ce moment.\n\n"
        "Proposé\u202f: mardi 1 décembre 2026 à 09:00 (America/New_York), 30 minutes,"
        " visioconférence.\n\n"
        "Pourquoi accepter\u202f: un tel échange nourrit la curiosité et porte un regard"
        " neuf sur votre propre métier, élargit votre réseau, et rend l'aide que"
        " vous avez peut-être reçue autrefois. Vous convenez ensemble du lieu et de"
        " la durée, de 30 à 60 minutes.\n\n"
        "Merci de répondre avant le dimanche 29 novembre 2026 à 04:00"
        " (America/New_York).\n\n"
        "Accepter\u202f: http://127.0.0.1:8000/l/a\n\n"
        "Décliner\u202f: http://127.0.0.1:8000/l/d\n\n"
        "— Entretiens réseau\n"
    )
    subject, text, html = renderer.render("invitation", "en", context)
    assert subject == "Camille Durand would like to hear about your job"
    assert "Proposed: Tuesday 1 December 2026 at 09:00 (America/New_York)" in text
    assert "30 minutes, video call." in text
    assert "\n\nAccept: http://127.0.0.1:8000/l/a\n\n" in text
    assert ">Accept</a>" in html and ">Decline</a>" in html


@pytest.mark.parametrize(
    "fmt, fr, en",
    [
        ("video", "visioconférence", "video call"),
        ("in_person", "en personne", "in person"),
        ("phone", "téléphone", "phone"),
    ],
)
def test_the_format_is_named_in_the_recipients_language(renderer, fmt, fr, en):
    context = {**CONTEXT, "match": {**CONTEXT["match"], "format": fmt}}
    assert f"30 minutes, {fr})" in renderer.render("reminder", "fr", context)[1]
    assert f"30 minutes, {en})" in renderer.render("reminder", "en", context)[1]


def test_optional_paragraphs_leave_no_gap(renderer):
    bare = {**CONTEXT, "match": {**CONTEXT["match"], "location": None}}
    _, text, html = renderer.render("meeting_confirmed", "en", bare)
    assert "Place or link" not in text and "A note from your host" not in text
    assert "\n\n\n" not in text and "<p></p>" not in html
    noted = {**CONTEXT, "match": {**CONTEXT["match"], "note": "Bring <b>questions</b>"}}
    _, text, html = renderer.render("meeting_confirmed", "fr", noted)
    assert (
        "Lieu ou lien\u202f: Salle 4\n\nUn mot de votre hôte\u202f: «\u202fBring <b>questions</b>\u202f»"
        in text
    )
    assert "«\u202fBring &lt;b&gt;questions&lt;/b&gt;\u202f»" in html


def test_html_escapes_what_people_wrote(renderer):
    hostile = {
        **CONTEXT,
        "request": {**CONTEXT["request"], "goal": "<script>alert(1)</script> & co"},
    }
    _, text, html = renderer.render("request_received", "en", hostile)
    assert "<script>" not in html
    assert "“&lt;script&gt;alert(1)&lt;/script&gt; &amp; co”" in html
    assert "“<script>alert(1)</script> & co”" in text


def test_times_are_shown_in_the_recipients_zone_and_language(renderer):
    assert (
        renderer.when("2026-12-01T14:00:00+00:00", "Europe/Paris", "fr")
        == "mardi 1 décembre 2026 à 15:00 (Europe/Paris)"
    )
    assert (
        renderer.when("2026-12-01T14:00:00+00:00", "America/New_York", "en")
        == "Tuesday 1 December 2026 at 09:00 (America/New_York)"
    )


def test_a_field_is_named_in_the_recipients_language(renderer):
    projects = {
        **CONTEXT,
        "request": {**CONTEXT["request"], "field": "project-management"},
    }
    assert (
        "«\u202fGestion de projet\u202f»"
        in renderer.render("cancelled", "fr", projects)[1]
    )
    assert "“Project management”" in renderer.render("cancelled", "en", projects)[1]
    unknown = {**CONTEXT, "request": {**CONTEXT["request"], "field": "astronomy"}}
    assert "“astronomy”" in renderer.render("cancelled", "en", unknown)[1]


def test_message_id_is_stable_per_event_recipient_and_kind():
    event = uuid.uuid4()
    a = domain.message_id(event, "a@example.com", "invitation", SETTINGS.mail_from)
    assert a == domain.message_id(
        event, "a@example.com", "invitation", SETTINGS.mail_from
    )
    assert a != domain.message_id(
        event, "a@example.com", "reminder", SETTINGS.mail_from
    )
    assert a.endswith("@matchmaker.local>")


def test_composed_message_is_multipart_with_a_calendar_when_due(renderer):
    row = {
        "kind": "meeting_confirmed",
        "locale": "en",
        "recipient": PERSON["email"],
        "message_id": "<x@y>",
        "context": {**CONTEXT, "calendar": "REQUEST"},
    }
    parsed = email.message_from_bytes(
        renderer.compose(row, SETTINGS).as_bytes(), policy=email.policy.default
    )
    assert (
        parsed["Message-ID"] == "<x@y>"
        and parsed["To"].addresses[0].display_name == "Camille Durand"
    )
    types = [p.get_content_type() for p in parsed.walk()]
    assert {"text/plain", "text/html", "text/calendar"} <= set(types)
    cal = icalendar.Calendar.from_ical(
        [p for p in parsed.walk() if p.get_content_type() == "text/calendar"][
            0
        ].get_content()
    )
    vevent = cal.walk("VEVENT")[0]
    assert str(cal["METHOD"]) == "REQUEST"
    assert vevent.decoded("DTSTART").isoformat() == "2026-12-01T14:00:00+00:00"
    assert str(vevent["UID"]) == f"match-{CONTEXT['match']['id']}@matchmaker"


def test_header_values_lose_their_line_breaks():
    assert render.one_line("Eve\r\nBcc: x@example.com") == "Eve Bcc: x@example.com"


def test_backoff_grows_with_jitter_and_a_ceiling():
    first = [domain.backoff(SETTINGS, 1).total_seconds() for _ in range(50)]
    assert all(24 <= s <= 36 for s in first)
    assert 48 <= domain.backoff(SETTINGS, 2).total_seconds() <= 72
    assert domain.backoff(SETTINGS, 30).total_seconds() <= 3600 * 1.2


@pytest.mark.parametrize(
    "kind,fr,en",
    [
        ("invitation", "Pourquoi accepter", "Why say yes"),
        ("meeting_confirmed", "Pour vous préparer", "To prepare"),
        ("host_confirmed", "Pour vous préparer", "To prepare"),
    ],
)
def test_the_invitation_says_why_accept_and_confirmations_how_to_prepare(
    renderer, kind, fr, en
):
    for lang, words in (("fr", fr), ("en", en)):
        _subject, text, html = renderer.render(kind, lang, CONTEXT)
        assert words in text and words in html
        assert "30" in text and "60" in text if kind == "invitation" else True


def test_a_reason_the_service_gives_is_written_in_the_readers_language(renderer):
    context = {**CONTEXT, "reason": "no available host"}
    _subject, text, _html = renderer.render("waitlisted", "fr", context)
    assert "aucun hôte disponible" in text and "no available host" not in text
    _subject, text, _html = renderer.render("waitlisted", "en", context)
    assert "no available host" in text


@pytest.mark.parametrize(
    ("lang", "name"), [("en", "Network interviews"), ("fr", "Entretiens réseau")]
)
def test_the_senders_name_is_in_the_recipients_language(renderer, lang, name):
    row = {
        "kind": "meeting_confirmed",
        "locale": lang,
        "recipient": PERSON["email"],
        "message_id": "<x@y>",
        "context": CONTEXT,
    }
    parsed = email.message_from_bytes(
        renderer.compose(row, SETTINGS).as_bytes(), policy=email.policy.default
    )
    sender = parsed["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == (
        name,
        "no-reply@matchmaker.local",
    )


def test_a_sender_name_the_installation_chose_is_kept(renderer):
    sender = renderer.sender("Mobilité interne <mobilite@corp.example>", "en")
    assert (sender.display_name, sender.addr_spec) == (
        "Mobilité interne",
        "mobilite@corp.example",
    )


@pytest.mark.parametrize(
    ("kind", "lang", "words"),
    [
        ("invitation", "en", "in person at Paris-La Défense"),
        ("meeting_confirmed", "en", "in person at Paris-La Défense"),
        ("host_confirmed", "fr", "en personne à Paris-La Défense"),
    ],
)
def test_an_in_person_meeting_names_its_site(renderer, kind, lang, words):
    context = {
        **CONTEXT,
        "request": {
            **CONTEXT["request"],
            "format": "in_person",
            "site": "Paris-La Défense",
        },
        "match": {**CONTEXT["match"], "format": "in_person"},
    }
    _, text, html = renderer.render(kind, lang, context)
    assert words in text and words in html


def test_a_message_queued_before_sites_were_kept_still_renders(renderer):
    assert "video" in renderer.render("invitation", "en", CONTEXT)[1]


@pytest.mark.parametrize(
    ("score", "en", "fr"),
    [
        ({"fit": 0.62, "best_fit": 0.62, "fit_band": 0, "exact_field": True},
         "what you wrote about your experience is close to their goal",
         "ce que vous avez écrit de votre expérience est proche de son objectif"),
        ({"fit": 0.2, "best_fit": 0.2, "fit_band": 0, "exact_field": True},
         "you work in this field", "vous travaillez dans ce domaine"),
        ({"fit": None, "fit_band": 0, "exact_field": False},
         "your field is close to theirs", "votre domaine est proche du sien"),
        (None, "you work in this field", "vous travaillez dans ce domaine"),
    ],
)  # fmt: skip
def test_the_invitation_says_in_a_sentence_why_the_host_was_chosen(
    renderer, score, en, fr
):
    match = {**CONTEXT["match"], "chosen_for": domain.chosen_for(score)}
    for lang, words in (("en", en), ("fr", fr)):
        _subject, text, html = renderer.render(
            "invitation", lang, {**CONTEXT, "match": match}
        )
        assert words in text and words in html


def _row(kind: str, n: int, lang: str = "en") -> dict:
    return {
        "id": uuid.UUID(int=n),
        "kind": kind,
        "locale": lang,
        "recipient": PERSON["email"],
        "message_id": f"<{kind}@matchmaker.local>",
        "created_at": f"2026-11-30T09:00:0{n}+00:00",
        "context": {**CONTEXT, "match": {**CONTEXT["match"], "status": "proposed"}},
    }


def test_messages_sent_together_say_each_thing_once_in_their_order(renderer):
    received, invited = _row("request_received", 1), _row("host_invited", 2)
    rows = domain.together([invited, received])
    assert rows == [received, invited]  # the order of their moments
    parsed = email.message_from_bytes(
        renderer.compose_together(rows, SETTINGS).as_bytes(),
        policy=email.policy.default,
    )
    assert parsed["Message-ID"] == "<request_received@matchmaker.local>"
    assert parsed["X-Matchmaker-Kind"] == "request_received host_invited"
    assert parsed["Subject"] == renderer.render("host_invited", "en", CONTEXT)[0]
    text = parsed.get_body(("plain",)).get_content()
    assert text.count("Hello Camille Durand,") == 1
    assert text.count("— Network interviews") == 1
    said = text.index("We received your request")
    assert said < text.index("We proposed your interview to Nathalie Renard")
    html = parsed.get_body(("html",)).get_content()
    assert html.count("<html") == 1 and "We proposed your interview" in html
    assert "&lt;p&gt;" not in html  # each part's HTML kept, not escaped again
    assert not [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]


def test_one_message_alone_is_composed_as_itself(renderer):
    row = _row("request_received", 1, lang="fr")
    alone, itself = (
        email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
        for m in (
            renderer.compose_together([row], SETTINGS),
            renderer.compose(row, SETTINGS),
        )
    )
    assert alone["X-Matchmaker-Kind"] == "request_received"
    assert alone.get_body(("plain",)).get_content() == (
        itself.get_body(("plain",)).get_content()
    )


def test_what_may_go_together_has_no_calendar_and_is_for_the_requester():
    assert "request_received" in domain.TOGETHER  # the held receipt joins the news
    assert not domain.TOGETHER & {"invitation", "meeting_confirmed", "host_confirmed",
                                  "cancelled", "reminder", "followup"}  # fmt: skip


def _sent(message) -> bytes:
    """The bytes smtplib's `send_message` writes: the message's own policy,
    cloned for UTF-8 when an address needs it."""
    import io
    from email.generator import BytesGenerator

    out = io.BytesIO()
    policy = message.policy
    if getattr(policy, "utf8", None) is False:
        policy = policy.clone(utf8=True)
    BytesGenerator(out, policy=policy).flatten(message, linesep="\r\n")
    return out.getvalue()


@pytest.mark.parametrize(
    "name",
    [
        'Zoë "Zo" Çava, de la Maison',
        "Camille (Cam) Durand; <RH>",
        "=?utf-8?q?Mallory_=3Cmallory@evil.example=3E?=",  # typed to look encoded
        "=?utf-8?q?Camille=0D=0AReply-To:_phish@evil.example?=",
        "Ana María López-Hernández y Fernández de Córdoba, Condesa de la Vega",
    ],
)
@pytest.mark.parametrize("recipient", [PERSON["email"], "camille@exämple.com"])
def test_names_come_back_as_written_in_one_address_and_one_header(
    renderer, name, recipient
):
    row = {
        **_row("invitation", 3, lang="fr"),
        "recipient": recipient,
        "context": {
            **CONTEXT,
            "to": {**PERSON, "name": name},
            "requester": {**HOST, "name": name},
        },
    }
    raw = _sent(renderer.compose(row, SETTINGS))
    head, body = raw.split(b"\r\n\r\n", 1)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert not [line for line in head.split(b"\r\n") if line.startswith(b"Reply-To")]
    assert b"MIME-Version" not in body  # once, the message's own
    parsed = email.message_from_string(raw.decode("utf-8"), policy=email.policy.default)
    assert parsed["Reply-To"] is None
    (to,) = parsed["To"].addresses
    assert to.addr_spec == recipient
    # Python's reader puts a space where a long encoded name was cut in
    # two encoded words (RFC 2047 says to ignore it); the letters are kept
    assert to.display_name.replace(" ", "") == name.replace(" ", "")
    subject = renderer.render("invitation", "fr", row["context"])[0]
    assert parsed["Subject"].replace(" ", "") == subject.replace(" ", "")
    assert parsed.get_body(("plain",)).get_content().startswith(f"Bonjour {name}")


@pytest.mark.parametrize("goal", ["x" * 990 + " ça", "From " + "x" * 990])
def test_a_body_line_longer_than_smtp_carries_is_cut_and_comes_back_whole(
    renderer, goal
):
    row = {
        **_row("invitation", 3),
        "context": {**CONTEXT, "request": {**CONTEXT["request"], "goal": goal}},
    }
    raw = _sent(renderer.compose(row, SETTINGS))
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert goal in parsed.get_body(("plain",)).get_content()


def test_an_address_in_unicode_is_written_as_it_is_for_smtputf8(renderer):
    row = {**_row("invitation", 3), "recipient": "camille@exämple.com"}
    raw = _sent(renderer.compose(row, SETTINGS))
    assert "<camille@exämple.com>".encode() in raw


@pytest.mark.parametrize("brk", ["\r\n", "\n", "\x0b", "\x85", "\u2028", "\u2029"])
@pytest.mark.parametrize("recipient", [PERSON["email"], "camille@exämple.com"])
def test_a_name_with_a_line_break_of_any_kind_adds_no_header(renderer, brk, recipient):
    name = f"Camille{brk}Bcc: mallory@example.com"
    row = {
        **_row("invitation", 3),
        "recipient": recipient,
        "context": {
            **CONTEXT,
            "to": {**PERSON, "name": name},
            "requester": {**PERSON, "name": name},
        },
    }
    parsed = email.message_from_bytes(
        _sent(renderer.compose(row, SETTINGS)), policy=email.policy.default
    )
    assert parsed["Bcc"] is None
    assert "mallory" in parsed["To"].addresses[0].display_name
