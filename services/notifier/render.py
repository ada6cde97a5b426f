"""Messages from templates: `templates/email/<kind>/{subject.txt, body.txt, body.html}`,
each speaking French or English (the recipient's language), composed into one
multipart message with a stable Message-ID and, where due, a calendar part."""

from __future__ import annotations

import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notifier import calendar

TEMPLATES = Path(__file__).resolve().parent / "templates" / "email"
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

FIELD_LABELS: dict = {}


def one_line(text: str) -> str:
    """Header-safe: no CR, LF or other control character can reach a header."""
    return CONTROL.sub(" ", text or "").strip()


def when(iso: str, tz: str, lang: str) -> str:
    moment = datetime.fromisoformat(iso).astimezone(ZoneInfo(tz))
    pattern = "EEEE d MMMM y 'à' HH:mm" if lang == "fr" else "EEEE d MMMM y 'at' HH:mm"
    return f"{format_datetime(moment, pattern, locale=lang)} ({tz})"


def field_label(slug: str, lang: str) -> str:
    field = FIELD_LABELS.get(slug)
    return field.label.get(lang, slug) if field else slug


def render(kind: str, lang: str, context: dict) -> tuple[str, str, str]:
    lang = lang if lang in ("fr", "en") else "fr"
    values = {
        **context,
        "fr": lang == "fr",
        "lang": lang,
        "when": lambda iso, tz=None: when(iso, tz or context["to"]["timezone"], lang),
        "field_label": lambda slug: field_label(slug, lang),
    }
    subject = one_line(env.get_template(f"{kind}/subject.txt").render(values))
    text = env.get_template(f"{kind}/body.txt").render(values)
    html = env.get_template(f"{kind}/body.html").render(values)
    return subject, text, html


def compose(row: dict, settings) -> EmailMessage:
    context = row["context"]
    subject, text, html = render(row["kind"], row["locale"], context)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = settings.mail_from
    msg["To"] = Address(
        display_name=one_line(context["to"].get("name", "")), addr_spec=row["recipient"]
    )
    msg["Message-ID"] = row["message_id"]
    msg["Date"] = formatdate(usegmt=True)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Matchmaker-Kind"] = row["kind"]
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    method = context.get("calendar")
    if method:
        ics = calendar.invite(context, method, subject)
        msg.add_attachment(
            ics,
            maintype="text",
            subtype="calendar",
            filename="invitation.ics",
            params={"method": method},
        )
    return msg
