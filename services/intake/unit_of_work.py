"""One transaction of intake: the repository, the reports and the outbox on
one connection (the shape of `shared.unit_of_work`, which every service
shares). Unit tests give use cases an in-memory one instead
(tests/unit/intake/fakes.py)."""

from __future__ import annotations

from services.intake.domain import PRODUCER
from services.intake.reports import Reports
from services.intake.repository import Repository
from shared import unit_of_work


class UnitOfWork(unit_of_work.UnitOfWork):
    producer = PRODUCER

    def attach(self, conn) -> None:
        self.repo = Repository(conn)
        self.reports = Reports(conn)
