"""HR's and the DPO's routes: the programme's reports, forgetting leavers,
a person's export, and the access trail. Each names its role, reads its
parameters (`params`), calls one use case with the caller and answers JSON,
a CSV file or a page."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from services.intake import bodies, validation, views
from services.intake.audit import ACTIONS as audit_actions
from services.intake.ops import exports, params, programme, routes
from services.intake.web import identity
from services.intake.web.edge import unit_of_work
from services.intake.web.language import locale, schemas

AUDIT, HR = identity.AUDIT, identity.HR
staff = identity.role_required
REPORT_COLUMNS = ("key", "requests", "held", "median_days_to_meeting",
                  "useful", "not_useful")  # fmt: skip
AUDIT_COLUMNS = ("at", "actor", "roles", "action", "subject", "request_id",
                 "host_id", "detail")  # fmt: skip

bp = Blueprint("people", __name__, url_prefix="/ops")
bp.before_request(identity.require_staff)


bp.register_error_handler(params.Invalid, routes.invalid)


def _report_by() -> str:
    errors: dict = {}
    by = params.report_by(errors)
    if errors:
        raise params.Invalid(errors)
    return by


@bp.get("/api/reports")
@staff(HR)
def reports():
    by = _report_by()
    return jsonify({"by": by, "rows": programme.report(unit_of_work(), by)})


@bp.get("/export/reports.csv")
@staff(HR)
def export_reports():
    by = _report_by()
    rows = programme.report(unit_of_work(), by)
    cells = [[exports.cell(r[c]) for c in REPORT_COLUMNS] for r in rows]
    return routes.attachment(f"report-by-{by}", exports.csv_text(REPORT_COLUMNS, cells))


@bp.post("/api/people/forget")
@staff(HR)
def forget_people():
    """`{"emails": [...]}`: each forgotten as `DELETE /api/v1/me` would."""
    data = validation.load_simple(
        bodies.LeaversIn,
        request.get_json(silent=True),
        schemas=schemas(),
        lang=locale(),
    )
    emails = list(dict.fromkeys(e.strip().lower() for e in data["emails"]))
    return jsonify(
        {"forgotten": programme.forget_people(unit_of_work(), emails, routes.who())}
    )


@bp.get("/api/people/export")
@staff(HR)
def export_person():
    email = (request.args.get("email") or "").strip().lower()
    if not identity.valid_email(email):
        raise params.Invalid({"email": ["Not a valid email address."]})
    return jsonify(
        views.export_view(programme.export_person(unit_of_work(), email, routes.who()))
    )


@bp.get("/people")
@staff(HR)
def people_page():
    return render_template(
        "ops/people.html", done=None, refused=None, most=bodies.MAX_LEAVERS
    )


@bp.post("/people/forget")
@staff(HR)
def forget_people_from_page():
    """The page's form: addresses pasted, or a CSV file of the HR system."""
    upload = request.files.get("file")
    text = request.form.get("emails", "")
    if upload is not None and upload.filename:
        text += "\n" + upload.read(bodies.MAX_LEAVERS * 256).decode("utf-8", "replace")
    emails = params.leavers(text)
    if not emails or len(emails) > bodies.MAX_LEAVERS:
        page = render_template(
            "ops/people.html", done=None, refused=True, most=bodies.MAX_LEAVERS
        )
        return page, 422
    done = programme.forget_people(unit_of_work(), emails, routes.who())
    return render_template(
        "ops/people.html", done=done, refused=None, most=bodies.MAX_LEAVERS
    )


@bp.get("/api/audit")
@staff(AUDIT)
def audit():
    return jsonify(
        {"lines": programme.audit_trail(unit_of_work(), params.audit_filters())}
    )


@bp.get("/audit")
@staff(AUDIT)
def audit_page():
    filters = params.audit_filters()
    lines = programme.audit_trail(unit_of_work(), filters)
    return render_template(
        "ops/audit.html", lines=lines, actions=audit_actions,
        given={k: request.args.get(k, "") for k in ("person", "actor", "action",
                                                     "since", "until")},
    )  # fmt: skip


@bp.get("/export/audit.csv")
@staff(AUDIT)
def export_audit():
    lines = programme.audit_trail(unit_of_work(), params.audit_filters())
    cells = [
        [exports.cell(", ".join(r[c]) if c == "roles" else r[c]) for c in AUDIT_COLUMNS]
        for r in lines
    ]
    return routes.attachment("audit", exports.csv_text(AUDIT_COLUMNS, cells))
