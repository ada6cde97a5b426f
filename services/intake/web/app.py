"""The intake web application, `create_app`: its blueprints (the intranet
pages, the JSON API, the email-link pages, ops), the words of its
templates, and the answer each error gets (a use case's refusal has no
HTTP status: here it gets one)."""

from __future__ import annotations

import psycopg
from flask import (
    Flask,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from psycopg_pool import PoolTimeout
from werkzeug.exceptions import HTTPException

from services.intake import errors, translated_schemas, validation
from services.intake.calendars import use_cases as calendar_use_cases
from services.intake.ops import mail_viewer, people, store_metrics
from services.intake.ops import routes as ops
from services.intake.unit_of_work import UnitOfWork
from services.intake.web import (
    access_log,
    api,
    email_links,
    host_pages,
    identity,
    language,
    oidc,
    openapi,
    pages,
    security,
    sign_in,
    throttle,
)
from services.intake.words import Words
from shared import meaning
from shared.calendars import FAILURES, KIND_LABELS
from shared.fields import load_taxonomy
from shared.i18n import N_, Catalogs
from shared.payloads import TIMEZONES

csrf = security.csrf

CODES = {
    503: "unavailable",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method",
    413: "too_large",
}


# What each error code says, in English (the catalogs translate it).
MESSAGES = {
    "unauthenticated": N_("Sign in through the company portal first."),
    "sign_in_failed": N_(
        "The sign-in could not be completed; go back to the page you wanted and try again."
    ),
    "forbidden": N_("You may not do this."),
    "not_found": N_("Nothing here."),
    "too_large": N_("The body is too large."),
    "too_many_open": N_(
        "You already have {n} open requests; cancel one or wait for it to finish."
    ),
    "rate_limited": N_("Too many submissions; try again later."),
    "too_many_searches": N_(
        "Too many searches in the last minute; try again in a moment."
    ),
    "too_many_host_profile": N_(
        "You saved your profile many times in the last hour; try again later."
    ),
    "too_many_calendar": N_(
        "Your calendar was read many times in the last hour; try again later."
    ),
    "calendar_busy": N_(
        "Calendars are being read for other people right now; try again in a minute."
    ),
    "idempotency_conflict": N_("This Idempotency-Key was used with another body."),
    "not_cancellable": N_("This request can no longer be cancelled."),
    "already_replayed": N_("This dead letter was already replayed."),
    "not_proposed": N_("This invitation is no longer open."),
    "method": N_("Method not allowed."),
    "no_host_profile": N_("Create your host profile first."),
    "unavailable": N_("The service is briefly unavailable; try again in a moment."),
    "csrf": N_("The form expired; reload the page and try again."),
    "cross_site": N_("Cross-site request refused."),
}


def message(code: str, **values) -> str:
    """The message of `code` in the reader's language, `values` filled in."""
    text = language.gettext(MESSAGES[code])
    return text.format(**values) if values else text


# What each refusal of a use case is over HTTP.
STATUSES = {
    errors.NotFound: 404,
    errors.NotAllowed: 403,
    errors.Conflict: 409,
    errors.TooMany: 429,
}


def _refused(status: int):
    def handler(exc: errors.Refusal):
        body, code = error(status, exc.code, message(exc.code, **exc.values))
        if "retry_after" in exc.values:  # seconds until the person may ask again
            body = make_response(body)
            body.headers["Retry-After"] = str(exc.values["retry_after"])
        return body, code

    return handler


def wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/ops/api/"))
        or request.accept_mimetypes.best == "application/json"
    )


def error(status: int, code: str, text: str):
    if wants_json():
        return jsonify(error={"code": code, "message": text}), status
    return render_template("error.html", status=status, message=text), status


def create_app(rt) -> Flask:
    # named after the package: its templates/ and static/ are the app's
    app = Flask("services.intake")
    app.json = security.JSONProvider(app)
    app.config.update(
        SECRET_KEY=rt.settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=rt.settings.public_base_url.startswith("https://"),
        # over https, a name no sibling host of the intranet can set
        SESSION_COOKIE_NAME=(
            "__Host-session"
            if rt.settings.public_base_url.startswith("https://")
            else "session"
        ),
        PERMANENT_SESSION_LIFETIME=rt.settings.session_lifetime,
        MAX_CONTENT_LENGTH=rt.settings.max_body_bytes,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
    )
    app.extensions["runtime"] = rt
    app.extensions["taxonomy"] = load_taxonomy(rt.settings.fields_file)
    app.extensions["throttle"] = throttle.Throttle()
    app.extensions["words"] = Words(  # the model loads on the first text read
        meaning.sentence_model() if rt.settings.match_by_meaning else None,
        app.extensions["taxonomy"],
    )
    app.extensions["catalogs"] = Catalogs()
    app.extensions["schemas"] = translated_schemas.Schemas(app.extensions["catalogs"])
    app.extensions["calendars"] = calendar_use_cases.Calendars.from_settings(
        rt.settings,
        salt=lambda: calendar_use_cases.installation_salt(UnitOfWork(rt.pool)),
    )
    access_log.install(app)  # first: its clock starts before any other hook
    install_words(app)
    csrf.init_app(app)
    app.extensions["metrics"] = store_metrics.registry(rt.pool)

    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(host_pages.bp)
    app.register_blueprint(email_links.bp)
    app.register_blueprint(ops.bp)
    app.register_blueprint(mail_viewer.bp)
    app.register_blueprint(people.bp)
    if rt.settings.auth_mode == "oidc":
        app.extensions["oidc"] = oidc.Provider(rt.settings)
        app.extensions["oidc"].install(app)
        app.register_blueprint(sign_in.bp)
    # JSON clients write without a form, so without a form's token: the
    # origin of their writes is checked instead (`same_site_only`); every
    # form, the ops dashboard's included, carries a token.
    csrf.exempt(api.bp)
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/ops/api/"):
            csrf.exempt(app.view_functions[rule.endpoint])
    register_errors(app)
    security.install(app)
    app.add_url_rule(
        "/favicon.ico", "favicon", lambda: app.send_static_file("favicon.svg")
    )
    app.jinja_env.globals.update(
        current_user=identity.shown,
        company_sites=rt.settings.sites,
        time_zones=sorted(TIMEZONES),
    )
    return app


def install_words(app: Flask) -> None:
    """Templates say `_("English text")`, translated into the reader's
    language; labels of statuses, formats, weekdays and fields come from
    where those are defined."""
    env = app.jinja_env
    env.add_extension("jinja2.ext.do")
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(language.gettext, language.ngettext, newstyle=True)
    env.globals.update(
        locale=language.locale,
        status_label=language.status_label,
        format_label=language.format_label,
        day_label=language.day_label,
        language_name=language.language_name,
        language_label=language.language_label,
        field_label=language.field_label,
        when=language.when,
        number=language.number,
        reader_zone=language.reader_zone,
        percent=language.percent,
        reason_label=language.reason_label,
        calendar_failure=lambda code: FAILURES.get(code or "", ""),
        calendar_kind_label=lambda kind: language.gettext(KIND_LABELS[kind]),
    )
    env.filters["field_label_of"] = language.field_label


# What a page without a form of its own (an email link's) calls the fields
# of the body it refused, in words the reader knows.
FIELD_NAMES = {
    "location": N_("Place or video link"),
    "note": N_("A note for the requester"),
    "reason": N_("Reason (optional)"),
}


def _field_name(key: str) -> str:
    root = key.split(".")[0]
    return language.gettext(FIELD_NAMES[root]) if root in FIELD_NAMES else key


def register_errors(app: Flask) -> None:
    @app.errorhandler(identity.Unauthenticated)
    def unauthenticated(_exc):
        oidc_mode = app.extensions["runtime"].settings.auth_mode == "oidc"
        if oidc_mode and request.method == "GET" and not wants_json():
            return redirect(url_for("oidc.login", next=request.full_path.rstrip("?")))
        return error(401, "unauthenticated", message("unauthenticated"))

    @app.errorhandler(identity.Forbidden)
    def forbidden(_exc):
        return error(403, "forbidden", message("forbidden"))

    for refusal, status in STATUSES.items():
        app.register_error_handler(refusal, _refused(status))

    @app.errorhandler(errors.Invalid)
    def invalid(exc):
        errors = validation.flatten(language.translated(exc.errors))
        if wants_json():
            return jsonify(errors=errors), 422
        text = " ".join(
            language.gettext("%(label)s: %(value)s")
            % {"label": _field_name(k), "value": " ".join(v)}
            for k, v in errors.items()
        )
        return render_template("error.html", status=422, message=text), 422

    @app.before_request
    def same_site_only():
        """Writes to the JSON API and the ops endpoints come from this site
        (PUBLIC_BASE_URL, never what the client's Host header says) or from
        a client that is not a browser acting for someone else (`security.
        same_site`)."""
        if request.method in ("GET", "HEAD", "OPTIONS") or not request.path.startswith(
            ("/api/", "/ops/")
        ):
            return None
        public = app.extensions["runtime"].settings.public_base_url
        tokens = app.extensions["runtime"].settings.api_tokens
        if not security.same_site(request.headers, public, tokens):
            return error(403, "cross_site", message("cross_site"))
        return None

    @app.errorhandler(psycopg.OperationalError)
    @app.errorhandler(PoolTimeout)
    def database_down(exc):
        app.logger.warning("database unavailable: %s", exc)
        return error(503, "unavailable", message("unavailable"))

    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return error(400, "csrf", message("csrf"))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        code = CODES.get(exc.code)
        return error(
            exc.code,
            code or exc.name.lower().replace(" ", "_"),
            message(code) if code else exc.description,
        )
