"""One transaction of intake: the repository, the reports and the outbox on
one connection.

`with uow:` takes a pooled connection; leaving the block commits, or rolls
back if it raised. A use case touches nothing else, so its unit tests give
it an in-memory unit of work instead (tests/unit/intake/fakes.py).
"""

from __future__ import annotations

from services.intake.domain import PRODUCER
from services.intake.reports import Reports
from services.intake.repository import Repository
from shared.outbox import Outbox


class UnitOfWork:
    def __init__(self, pool):
        self.pool = pool
        self._connection = None

    def __enter__(self) -> UnitOfWork:
        self._connection = self.pool.connection()
        self.conn = self._connection.__enter__()
        self.repo = Repository(self.conn)
        self.reports = Reports(self.conn)
        return self

    def __exit__(self, *exc):
        try:
            return self._connection.__exit__(*exc)
        finally:
            self._connection = None

    def outbox(self, correlation_id=None) -> Outbox:
        return Outbox(self.conn, PRODUCER, correlation_id)
