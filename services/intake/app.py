"""The intake web application: intranet pages, JSON API, ops dashboard."""
from flask import Flask


def create_app(rt) -> Flask:
    app = Flask(__name__)
    app.config["SECRET_KEY"] = rt.settings.secret_key
    app.extensions["runtime"] = rt
    return app
