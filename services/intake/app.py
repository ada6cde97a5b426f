"""The intake web application: intranet pages, JSON API, email-link pages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import psycopg
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from psycopg_pool import PoolTimeout
from werkzeug.exceptions import HTTPException

from services.intake import commands, identity, validation
from services.intake.i18n import locale, t, translate_errors, translate_message
from shared.fields import load_taxonomy

csrf = CSRFProtect()

CODES = {
    503: "unavailable",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method",
    413: "too_large",
}


def wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/ops/api/"))
        or request.accept_mimetypes.best == "application/json"
    )


def error(status: int, code: str, message: str):
    if wants_json():
        return jsonify(error={"code": code, "message": message}), status
    return render_template("error.html", status=status, message=message), status


def create_app(rt) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=rt.settings.secret_key,
        MAX_CONTENT_LENGTH=rt.settings.max_body_bytes,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
    )
    app.extensions["runtime"] = rt
    app.jinja_env.add_extension("jinja2.ext.do")
    app.extensions["taxonomy"] = load_taxonomy(rt.settings.fields_file)
    csrf.init_app(app)
    from services.intake.store_metrics import COLLECTOR

    COLLECTOR.pool = rt.pool

    from services.intake import api, links, openapi, ops, pages

    csrf.exempt(api.bp)  # identity comes from headers or tokens, not from a cookie
    csrf.exempt(ops.bp)  # JSON endpoints, same identity rules
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(links.bp)
    app.register_blueprint(ops.bp)
    register_errors(app)
    app.add_url_rule(
        "/favicon.ico", "favicon", lambda: app.send_static_file("favicon.svg")
    )
    app.jinja_env.globals.update(
        t=t, locale=locale, current_user=identity.current, tz=ZoneInfo
    )
    return app


def register_errors(app: Flask) -> None:
    @app.errorhandler(identity.Unauthenticated)
    def unauthenticated(_exc):
        return error(401, "unauthenticated", t("unauthenticated"))

    @app.errorhandler(identity.Forbidden)
    def forbidden(_exc):
        return error(403, "forbidden", t("forbidden"))

    @app.errorhandler(commands.Refused)
    def refused(exc):
        return error(exc.status, exc.code, t(exc.code, **exc.values))

    @app.errorhandler(validation.Invalid)
    def invalid(exc):
        errors = validation.flatten(translate_errors(exc.errors, locale()))
        if wants_json():
            return jsonify(errors=errors), 422
        message = " ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        return render_template("error.html", status=422, message=message), 422

    @app.before_request
    def same_site_only():
        """The JSON API and ops endpoints answer writes from this site or from
        non-browser clients only: a browser always sends Origin on a cross-site
        POST, so a form on another site cannot act with the user's identity."""
        if request.method in ("GET", "HEAD", "OPTIONS") or not request.path.startswith(
            ("/api/", "/ops/")
        ):
            return None
        origin = request.headers.get("Origin")
        allowed = {
            request.host_url.rstrip("/"),
            app.extensions["runtime"].settings.public_base_url,
        }
        if origin and origin.rstrip("/") not in allowed:
            return error(
                403,
                "cross_site",
                translate_message("Cross-site request refused.", locale()),
            )
        return None

    @app.errorhandler(psycopg.OperationalError)
    @app.errorhandler(PoolTimeout)
    def database_down(exc):
        app.logger.warning("database unavailable: %s", exc)
        return error(503, "unavailable", t("unavailable"))

    @app.errorhandler(CSRFError)
    def csrf_error(_exc):
        return error(400, "csrf", t("csrf"))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        code = CODES.get(exc.code)
        return error(
            exc.code,
            code or exc.name.lower().replace(" ", "_"),
            t(code) if code else exc.description,
        )
