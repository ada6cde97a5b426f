"""The catalogs, schemas and bare Flask app the intake unit tests read messages from."""

from __future__ import annotations

import pytest
from flask import Flask

from services.intake import translated_schemas
from shared.i18n import Catalogs


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


@pytest.fixture(scope="module")
def schemas(catalogs) -> translated_schemas.Schemas:
    return translated_schemas.Schemas(catalogs)


@pytest.fixture(scope="module")
def app(catalogs) -> Flask:
    app = Flask(__name__)
    app.extensions["catalogs"] = catalogs
    return app
