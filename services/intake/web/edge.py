"""What every route of intake uses to reach a use case: the app's runtime,
a unit of work, the taxonomy, the model's words, the limits, and ids
from URLs."""

from __future__ import annotations

import uuid

from flask import current_app

from services.intake.domain import Limits
from services.intake.errors import NotFound
from services.intake.unit_of_work import UnitOfWork


def runtime():
    return current_app.extensions["runtime"]


def settings():
    return runtime().settings


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(runtime().pool)


def calendars():
    return current_app.extensions["calendars"]


def taxonomy():
    return current_app.extensions["taxonomy"]


def words():
    """What the process reads by meaning (`services.intake.words.Words`)."""
    return current_app.extensions["words"]


def limits() -> Limits:
    return Limits.from_settings(settings())


def parse_id(value: str) -> uuid.UUID:
    """An id from a URL; one that is not a UUID names nothing."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound() from None
