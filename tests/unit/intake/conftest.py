"""The catalogs, schemas and bare Flask app the intake unit tests read messages from."""

from __future__ import annotations

import pytest
from flask import Flask

from services.intake import validation
from shared.i18n import Catalogs


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


@pytest.fixture(scope="module")
def schemas(catalogs) -> validation.Schemas:
    return validation.Schemas(catalogs)


@pytest.fixture(scope="module")
def app(catalogs) -> Flask:
    app = Flask(__name__)
    app.extensions["catalogs"] = catalogs
    return app
