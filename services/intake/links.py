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
FEEDBACK_MAX_AGE_S = 60 * 86400


def _read(token: str):
    settings = current_app.extensions["runtime"].settings
    try:
        action, match_id, who = links.read_token(
            settings.secret_key, token, FEEDBACK_MAX_AGE_S
        )
        if action in (
            "accept",
            "decline",
        ):  # answers expire with the invitation (plus a day's grace)
            links.read_token(
                settings.secret_key,
                token,
                (settings.response_timeout + timedelta(days=1)).total_seconds(),
            )
        return action, uuid.UUID(match_id), who
    except (links.BadLink, ValueError) as exc:
        reason = getattr(exc, "reason", "invalid")
        raise LinkProblem(reason) from None


class LinkProblem(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@bp.errorhandler(LinkProblem)
def link_problem(exc):
    return render_template(
        "links/problem.html", reason=exc.reason
    ), 410 if exc.reason == "expired" else 400


@bp.route("/l/<token>", methods=["GET", "POST"])
def follow(token):
    action, match_id, who = _read(token)
    pool = current_app.extensions["runtime"].pool
    with pool.connection() as conn:
        match = queries.match_for_host(conn, match_id)
    if match is None:
        raise LinkProblem("invalid")
    if request.method == "GET":
        return render_template(
            "links/confirm.html", action=action, match=match, token=token
        )
    if action in ("useful", "not-useful") and match["status"] != "accepted":
        raise LinkProblem("invalid")
    host = Identity(match["host_email"], (), "link")
    form = request.form
    with pool.connection() as conn:
        try:
            if action == "accept":
                data = validation.load_simple(
                    validation.AcceptIn,
                    {
                        "location": form.get("location") or None,
                        "note": form.get("note") or None,
                    },
                )
                commands.accept_match(
                    conn, host, match_id, data["location"], data["note"]
                )
            elif action == "decline":
                data = validation.load_simple(
                    validation.DeclineIn, {"reason": form.get("reason") or None}
                )
                commands.decline_match(conn, host, match_id, data["reason"])
            else:
                conn.execute(
                    "INSERT INTO feedback (match_id, respondent, useful) VALUES (%s, %s, %s)"
                    " ON CONFLICT (match_id, respondent) DO UPDATE SET useful = EXCLUDED.useful,"
                    " answered_at = now()",
                    (match_id, who, action == "useful"),
                )
        except commands.Refused as exc:
            return render_template(
                "links/done.html", action=action, match=match, refused=exc.code
            ), 409
    return render_template("links/done.html", action=action, match=match, refused=None)
