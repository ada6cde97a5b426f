"""The pages behind the email links: GET shows what will happen, POST does it.

The signed token is the authority (no sign-in needed); it names one action
on one match and expires.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import Blueprint, current_app, render_template, request

from services.intake import use_cases, validation
from services.intake.errors import Conflict, NotFound
from services.intake.web.edge import unit_of_work
from services.intake.web.language import locale, schemas
from shared import links

bp = Blueprint("links", __name__)
FEEDBACK_DAYS = 60  # after the meeting, which may be REQUEST_HORIZON_DAYS ahead


def _read(token: str):
    settings = current_app.extensions["runtime"].settings
    try:
        action, match_id, who = links.read_token(
            settings.secret_key,
            token,
            (settings.horizon_days + FEEDBACK_DAYS) * 86400,
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
    try:
        match = use_cases.invitation_for_link(unit_of_work(), match_id)
    except NotFound:
        raise LinkProblem("invalid") from None
    if request.method == "GET":
        return render_template(
            "links/confirm.html", action=action, match=match, token=token
        )
    try:
        if action in use_cases.ANSWERS:
            details = validation.answer_from_form(
                action, request.form, schemas=schemas(), lang=locale()
            )
            use_cases.answer_invitation(
                unit_of_work(), match["host_email"], match_id, action, details
            )
        else:
            try:
                use_cases.record_feedback(unit_of_work(), match_id, who, action)
            except NotFound:
                raise LinkProblem("invalid") from None
    except Conflict:  # answered meanwhile: say how it stands now
        match = use_cases.invitation_for_link(unit_of_work(), match_id)
        return render_template(
            "links/confirm.html", action=action, match=match, token=token
        ), 409
    return render_template("links/done.html", action=action, match=match)
