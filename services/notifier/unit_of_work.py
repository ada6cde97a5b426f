"""One transaction of the notifier: its ledger (the repository) and its
outbox on one connection (the shape of `shared.unit_of_work`, which every
service shares). Unit tests give use cases an in-memory one instead."""

from __future__ import annotations

from services.notifier.domain import PRODUCER
from services.notifier.repository import Repository
from shared import unit_of_work


class UnitOfWork(unit_of_work.UnitOfWork):
    producer = PRODUCER

    def attach(self, conn) -> None:
        self.repo = Repository(conn)
