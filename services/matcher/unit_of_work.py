"""One transaction of the matcher: its repository and its outbox on one
connection (the shape of `shared.unit_of_work`, which every service
shares). Unit tests give use cases an in-memory one instead
(tests/unit/matcher/fakes.py)."""

from __future__ import annotations

from services.matcher.repository import Repository
from shared import unit_of_work

PRODUCER = "matcher"


class UnitOfWork(unit_of_work.UnitOfWork):
    producer = PRODUCER

    def attach(self, conn) -> None:
        self.repo = Repository(conn)
