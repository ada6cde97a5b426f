"""Messages from templates: `templates/email/<kind>/{subject.txt, body.txt, body.html}`,
the bodies extending `templates/email/_base/`, written in English and
translated through the gettext catalogs (`shared/i18n.py`) into the
recipient's language; composed into one multipart message with a stable
Message-ID and, where due, a calendar part."""

from __future__ import annotations

import re
from email.charset import QP, Charset
from email.header import Header
from email.headerregistry import Address
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import SMTP
from email.utils import formatdate, parseaddr, quote
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from services.notifier import invite
from shared.fields import Taxonomy
from shared.i18n import N_, Catalogs
from shared.statuses import FORMAT_LABELS

SERVICE_NAME = N_("Network interviews")  # the sender's name, translated
IN_PERSON_AT = N_("%(format)s at %(site)s")

TEMPLATES = Path(__file__).resolve().parent / "templates" / "email"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")  # all that ends a line
BLANK_LINES = re.compile(r"\n{3,}")
MAX_LINE = 997  # bytes of a line SMTP carries as it is (RFC 5321), less
# the ">" smtplib puts before a line starting "From "
ASCII = Charset("us-ascii")  # a body in plain ASCII, as it is (7bit)
ASCII.body_encoding = None
UTF8 = Charset("utf-8")  # any other in quoted-printable: 7bit on the wire
UTF8.body_encoding = QP
SPECIALS = re.compile(r'[][\\()<>@,:;".]')  # a name with one is quoted
UNICODE_SMTP = SMTP.clone(refold_source="none")  # headers as written here


def one_line(text: str) -> str:
    """Header-safe: no CR, LF or other control character, nor any other
    character Python ends a line at (U+0085, U+2028, U+2029), can reach a
    header."""
    return CONTROL.sub(" ", text or "").strip()


def paragraphs(text: str) -> str:
    """Plain text with one blank line between paragraphs, whatever the template left."""
    lines = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return BLANK_LINES.sub("\n\n", lines) + "\n"


class Renderer:
    """Renders every kind of email in every language of `catalogs`.

    One Jinja environment per language, made here: each template is compiled
    once per language and kept."""

    def __init__(self, taxonomy: Taxonomy, catalogs: Catalogs):
        self.taxonomy = taxonomy
        self.catalogs = catalogs
        self.environments = {
            lang: self._environment(lang) for lang in catalogs.languages
        }

    def _environment(self, lang: str) -> Environment:
        env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,
            extensions=["jinja2.ext.i18n"],
        )
        env.policies["ext.i18n.trimmed"] = True
        env.install_gettext_translations(
            self.catalogs.translations(lang), newstyle=True
        )
        env.globals.update(
            lang=lang,
            field_label=lambda slug: self.taxonomy.label(slug, lang),
            format_label=lambda slug: self.format_label(slug, lang),
            meeting_format=lambda slug, site=None: self.meeting_format(
                slug, site, lang
            ),
            duration=lambda minutes: self.duration(minutes, lang),
            # a reason the service gives (shared.statuses), in the reader's
            # language; a person's own words as they wrote them
            reason_label=lambda text: self.catalogs.gettext(lang, text or ""),
        )
        return env

    def when(self, iso: str, tz: str, lang: str) -> str:
        """The moment in zone `tz`, written in `lang`, the zone named after it."""
        return self.catalogs.when(iso, tz, lang)

    def format_label(self, slug: str, lang: str) -> str:
        """The meeting format's label in `lang`; an unknown format as it is."""
        return (
            self.catalogs.gettext(lang, FORMAT_LABELS[slug])
            if slug in FORMAT_LABELS
            else slug
        )

    def meeting_format(self, slug: str, site: str | None, lang: str) -> str:
        """The format as a sentence names it ("video", "in person"), and for
        an in-person meeting the site ("in person at Paris-La Défense")."""
        label = self.format_label(slug, lang).lower()
        if slug == "in_person" and site:
            return self.catalogs.gettext(lang, IN_PERSON_AT) % {
                "format": label,
                "site": site,
            }
        return label

    def duration(self, minutes: int, lang: str) -> str:
        """ "30 minutes" in `lang`, singular or plural as `minutes` asks."""
        text = self.catalogs.translations(lang).ngettext(
            "%(num)s minute", "%(num)s minutes", minutes
        )
        return text % {"num": minutes}

    def _values(self, context: dict, lang: str) -> dict:
        return {
            **context,
            "when": lambda iso, tz=None: self.when(
                iso, tz or context["to"]["timezone"], lang
            ),
        }

    def render(self, kind: str, lang: str, context: dict) -> tuple[str, str, str]:
        lang = self.catalogs.language(lang)
        env = self.environments[lang]
        values = self._values(context, lang)
        subject = one_line(env.get_template(f"{kind}/subject.txt").render(values))
        text = paragraphs(env.get_template(f"{kind}/body.txt").render(values))
        html = env.get_template(f"{kind}/body.html").render(values)
        return subject, text, html

    def render_together(self, rows: list[dict]) -> tuple[str, str, str]:
        """Several messages to one person as one: the greeting and the
        signature once, each message's own words in turn (its template's
        `content` block, with its own snapshot), the latest one's subject."""
        lang = self.catalogs.language(rows[0]["locale"])
        env = self.environments[lang]
        texts, htmls = [], []
        for row in rows:
            values = self._values(row["context"], lang)
            texts.append(_content(env, f"{row['kind']}/body.txt", values))
            htmls.append(Markup(_content(env, f"{row['kind']}/body.html", values)))
        last = self._values(rows[-1]["context"], lang)
        kind = rows[-1]["kind"]
        subject = one_line(env.get_template(f"{kind}/subject.txt").render(last))
        text = env.get_template("_together/body.txt").render({**last, "parts": texts})
        html = env.get_template("_together/body.html").render({**last, "parts": htmls})
        return subject, paragraphs(text), html

    def sender(self, mail_from: str, lang: str) -> Address:
        """MAIL_FROM's address; its name in the recipient's language when it
        is the service's own ("Entretiens réseau", "Network interviews") or
        none, else the name the installation gave."""
        name, address = parseaddr(mail_from)
        own = {SERVICE_NAME} | {
            self.catalogs.gettext(lang_, SERVICE_NAME)
            for lang_ in self.catalogs.languages
        }
        if not name or name in own:
            name = self.catalogs.gettext(lang, SERVICE_NAME)
        return Address(display_name=one_line(name), addr_spec=address)

    def compose_together(self, rows: list[dict], settings) -> Message:
        """One email for `rows` (`domain.together`: their order, the first
        one's Message-ID); `compose` for one."""
        if len(rows) == 1:
            return self.compose(rows[0], settings)
        lead = rows[0]
        msg = self._message(lead, settings, *self.render_together(rows))
        msg.replace_header("X-Matchmaker-Kind", " ".join(r["kind"] for r in rows))
        return msg

    def compose(self, row: dict, settings) -> Message:
        subject, text, html = self.render(row["kind"], row["locale"], row["context"])
        method = row["context"].get("calendar")
        calendar = method and invite.invite(row["context"], method, subject)
        return self._message(row, settings, subject, text, html, calendar)

    def _message(
        self, row: dict, settings, subject, text, html, calendar=None
    ) -> Message:
        """multipart/alternative (text, HTML), inside multipart/mixed with the
        calendar part when there is one; built with the `email` package's
        plain classes (`compat32`), whose headers are kept as written: the
        structured headers of `EmailMessage` cost several times more for the
        same bytes, and every value here is one line already."""
        context = row["context"]
        msg = MIMEMultipart(
            "alternative", None, [_text(text, "plain"), _text(html, "html")]
        )
        if calendar:
            part = _text(calendar.decode("utf-8"), "calendar")
            part.set_param("method", row["context"]["calendar"])
            part.add_header(
                "Content-Disposition", "attachment", filename="invitation.ics"
            )
            inner, msg = msg, MIMEMultipart("mixed", None, [msg, part])
            del inner["MIME-Version"]
        sender = self.sender(settings.mail_from, row["locale"])
        to = Address(
            display_name=one_line(context["to"].get("name", "")),
            addr_spec=row["recipient"],
        )
        msg["Subject"] = _words(subject, "Subject")
        msg["From"], msg["To"] = _address(sender, "From"), _address(to, "To")
        msg["Message-ID"] = row["message_id"]
        msg["Date"] = formatdate(usegmt=True)
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Matchmaker-Kind"] = row["kind"]
        if not (sender.addr_spec + to.addr_spec).isascii():
            msg.policy = UNICODE_SMTP  # smtplib sends it over SMTPUTF8
        return msg


def _plain(text: str) -> bool:
    """Written in a header as it is: ASCII, and nothing a reader decodes."""
    return text.isascii() and "=?" not in text


def _words(text: str, header: str) -> str:
    """A header's words: plain text as it is; any other text encoded
    (RFC 2047, in as many encoded words as it takes), and so is text typed
    to look encoded ("=?"), so that no reader decodes what a person wrote
    into something else."""
    if _plain(text):
        return text
    return Header(text, "utf-8", header_name=header).encode()


def _address(address: Address, header: str) -> str:
    """The header's value: the name (quoted when it has a special, else
    `_words`) and the address; an address not in ASCII is written as it is,
    the message going over SMTPUTF8."""
    name, addr = address.display_name, address.addr_spec
    if not name:
        return addr
    if _plain(name) and SPECIALS.search(name):
        return f'"{quote(name)}" <{addr}>'
    return f"{_words(name, header)} <{addr}>"


def _text(body: str, subtype: str) -> MIMENonMultipart:
    """A text part: plain ASCII with no line longer than SMTP carries as it
    is (7bit), any other in UTF-8, quoted-printable."""
    plain = body.isascii() and all(len(line) <= MAX_LINE for line in body.splitlines())
    part = MIMENonMultipart("text", subtype, charset="us-ascii" if plain else "utf-8")
    part.set_payload(body, ASCII if plain else UTF8)
    del part["MIME-Version"]  # the message's own, once
    return part


def _content(env: Environment, name: str, values: dict) -> str:
    """The `content` block of a body template alone."""
    template = env.get_template(name)
    return "".join(template.blocks["content"](template.new_context(values)))
