"""The mail viewer, for development: the messages the local mail sink
wrote to MAIL_SINK_DIR, listed and shown to ops and HR; each message
opened is written to the access trail.

Its routes are always there and answer 404 while MAIL_SINK_DIR is unset:
the folder is looked up at each request, in the runtime's settings.
"""

from __future__ import annotations

import email
import email.policy
import functools
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template

from services.intake.ops import programme
from services.intake.web import identity
from services.intake.web.edge import unit_of_work
from services.intake.web.language import reader_zone, when

LISTED = 200  # the newest messages

bp = Blueprint("mail_viewer", __name__, url_prefix="/ops/mail")
bp.before_request(functools.partial(identity.require_role, identity.OPS, identity.HR))


def folder() -> Path | None:
    return current_app.extensions["runtime"].settings.mail_sink_dir


def _message(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def _sent_at(msg) -> str:
    """The message's Date in the reader's language and zone; as written
    when it does not parse."""
    header = msg["Date"]
    moment = getattr(header, "datetime", None)
    if moment is None or moment.tzinfo is None:
        return str(header or "")
    return when(moment, reader_zone())


@bp.get("")
def mail_list():
    found = folder()
    if found is None:
        abort(404)
    items = []
    for path in sorted(found.glob("*.eml"), reverse=True)[:LISTED]:
        msg = _message(path)
        items.append(
            {
                "name": path.name,
                "subject": msg["Subject"],
                "to": msg["To"],
                "date": _sent_at(msg),
                "kind": msg["X-Matchmaker-Kind"],
            }
        )
    return render_template("ops/mail_list.html", items=items)


@bp.get("/<name>")
def mail_one(name):
    found = folder()
    if (
        found is None
        or "/" in name
        or not name.endswith(".eml")
        or not (found / name).is_file()
    ):
        abort(404)
    msg = _message(found / name)
    programme.mail_opened(
        unit_of_work(), name, str(msg["To"] or ""), identity.require()
    )
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    parts = [p.get_content_type() for p in msg.walk() if not p.is_multipart()]
    return render_template(
        "ops/mail_one.html",
        msg=msg,
        text=text.get_content() if text else "",
        html=html.get_content() if html else "",
        parts=parts,
        name=name,
        sent_at=_sent_at(msg),
    )
