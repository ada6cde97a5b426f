"""The pages behind the email links: GET shows what will happen, POST does it.

The signed token is the authority (no sign-in needed); it names one action
on one match and expires.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Blueprint, current_app, render_template, request

from services.intake import commands, queries, validation
from services.intake.identity import Identity
from shared import links

bp = Blueprint("links", __name__)


def _read(token: str):
    settings = current_app.extensions["runtime"].settings
    max_age = (settings.response_timeout + timedelta(days=1)).total_seconds()
    try:
        action, match_id = links.read_token(settings.secret_key, token, max_age)
        return action, uuid.UUID(match_id)
    except (links.BadLink, ValueError) as exc:
        reason = getattr(exc, "reason", "invalid")
        raise LinkProblem(reason)


class LinkProblem(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@bp.errorhandler(LinkProblem)
def link_problem(exc):
    return render_template("links/problem.html", reason=exc.reason), 410 if exc.reason == "expired" else 400


@bp.route("/l/<token>", methods=["GET", "POST"])
def follow(token):
    action, match_id = _read(token)
    pool = current_app.extensions["runtime"].pool
    with pool.connection() as conn:
        match = queries.match_for_host(conn, match_id)
    if match is None:
        raise LinkProblem("invalid")
    if request.method == "GET":
        return render_template("links/confirm.html", action=action, match=match, token=token)
    host = Identity(match["host_email"], (), "link")
    form = request.form
    with pool.connection() as conn:
        try:
            if action == "accept":
                data = validation.load_simple(validation.AcceptIn, {
                    "location": form.get("location") or None, "note": form.get("note") or None})
                commands.accept_match(conn, host, match_id, data["location"], data["note"])
            elif action == "decline":
                data = validation.load_simple(validation.DeclineIn, {"reason": form.get("reason") or None})
                commands.decline_match(conn, host, match_id, data["reason"])
            else:
                raise LinkProblem("invalid")
        except commands.Refused as exc:
            return render_template("links/done.html", action=action, match=match, refused=exc.code), 409
    return render_template("links/done.html", action=action, match=match, refused=None)
