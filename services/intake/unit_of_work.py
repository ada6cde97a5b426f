"""One transaction of intake: its repositories, the reports and the outbox
on one connection (the shape of `shared.unit_of_work`, which every service
shares). `uow.repo` holds the SQL of requests, invitations and feedback,
`uow.hosts` that of host profiles, `uow.calendars` that of hosts' own
calendars, `uow.audit` the access trail; `uow.reports` and `uow.listings` read the whole store for ops. Unit tests give use
cases an in-memory one instead (tests/unit/intake/fakes.py)."""

from __future__ import annotations

from services.intake.audit import AuditRepository
from services.intake.calendars.repository import CalendarRepository
from services.intake.domain import PRODUCER
from services.intake.host_repository import HostRepository
from services.intake.ops.listings import Listings
from services.intake.ops.reports import Reports
from services.intake.repository import Repository
from services.intake.sessions import SessionRepository
from shared import unit_of_work


class UnitOfWork(unit_of_work.UnitOfWork):
    producer = PRODUCER

    def attach(self, conn) -> None:
        self.repo = Repository(conn)
        self.hosts = HostRepository(conn)
        self.calendars = CalendarRepository(conn)
        self.reports = Reports(conn)
        self.listings = Listings(conn)
        self.audit = AuditRepository(conn)
        self.sessions = SessionRepository(conn)
