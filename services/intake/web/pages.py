"""The intranet pages: server-rendered, usable without JavaScript, fr/en.
Here the home page, the dev sign-in, the requester's pages and the host's
invitations; the host's profile and calendar are `host_pages.py`."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from services.intake import finding, use_cases, validation, views
from services.intake.errors import Invalid
from services.intake.web import identity
from services.intake.web.edge import limits, parse_id, settings, unit_of_work
from services.intake.web.edge import taxonomy as taxonomy_
from services.intake.web.forms import COMMON_LANGUAGES, WINDOW_ROWS, request_body
from services.intake.web.language import locale, schemas, translated
from shared.i18n import LANGUAGES, N_
from shared.statuses import FORMATS

bp = Blueprint("pages", __name__)


@bp.after_app_request
def remember_language(response):
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        response.set_cookie("lang", chosen, max_age=365 * 86400, samesite="Lax")
    return response


@bp.get("/")
def home():
    return render_template("pages/home.html")


@bp.route("/dev/login", methods=["GET", "POST"])
def dev_login():
    if settings().auth_mode != "dev":
        abort(404)
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        if identity.valid_email(email):
            session["dev_user"] = email
            session["dev_groups"] = [
                g.strip()
                for g in request.form.get("groups", "").split(",")
                if g.strip()
            ]
            return redirect(
                local_path(request.args.get("next")) or url_for("pages.home")
            )
    return render_template("pages/dev_login.html")


def local_path(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no `//` or `/\\`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.route("/requests/new", methods=["GET", "POST"])
@identity.login_required
def new_request():
    taxonomy = taxonomy_()
    if request.method == "GET":
        return render_template(
            "pages/request_form.html",
            form={},
            errors={},
            taxonomy=taxonomy,
            rows=WINDOW_ROWS,
            languages=COMMON_LANGUAGES,
            formats=FORMATS,
            chosen_languages=[locale()],
            directory=finding.host_directory(unit_of_work()),
        )
    body = request_body(request.form)
    try:
        data = validation.load_request(
            body,
            taxonomy,
            horizon_days=settings().horizon_days,
            sites=settings().sites,
            schemas=schemas(),
            lang=locale(),
        )
        use_cases.submit_request(
            unit_of_work(),
            identity.current(),
            data,
            limits=limits(),
            locale=locale(),
            idempotency_key=request.form.get("form_id") or None,
        )
    except Invalid as exc:
        errors = validation.flatten(translated(exc.errors))
        return render_template(
            "pages/request_form.html",
            form=request.form,
            errors=errors,
            taxonomy=taxonomy,
            rows=WINDOW_ROWS,
            languages=COMMON_LANGUAGES,
            formats=FORMATS,
            chosen_languages=request.form.getlist("languages"),
            directory=finding.host_directory(unit_of_work()),
        ), 422
    flash(N_("Your request was sent. We will email you when a host is proposed."))
    return redirect(url_for("pages.my_requests"))


@bp.get("/requests")
@identity.login_required
def my_requests():
    items = use_cases.list_requests(unit_of_work(), identity.current())
    return render_template(
        "pages/requests.html", items=[views.request_view(r, m) for r, m in items]
    )


@bp.post("/requests/<request_id>/cancel")
@identity.login_required
def cancel(request_id):
    use_cases.cancel_request(
        unit_of_work(), identity.current(), parse_id(request_id), None
    )
    return redirect(url_for("pages.my_requests"))


@bp.get("/invitations")
@identity.login_required
def invitations():
    rows = use_cases.list_invitations(unit_of_work(), identity.current())
    return render_template("pages/invitations.html", items=rows)


@bp.post("/invitations/<match_id>/<action>")
@identity.login_required
def answer(match_id, action):
    details = validation.answer_from_form(
        action, request.form, schemas=schemas(), lang=locale()
    )
    use_cases.answer_invitation(
        unit_of_work(), identity.current().email, parse_id(match_id), action, details
    )
    return redirect(url_for("pages.invitations"))
