"""One transaction of a service: its repository and its outbox on one
connection. The one shape every use case of every service holds.

A use case takes a unit of work and opens it with `with uow:`; leaving the
block commits, or rolls back if it raised. Inside, it reaches the service's
SQL through `uow.repo` and emits events through `uow.outbox()`, both on the
same connection, so a change and the events that report it are written in
one transaction.

Each service has its own subclass (`services/<name>/unit_of_work.py`) naming
its producer and its repository. A consumer hands each handler a unit of
work bound to the consumer's own transaction (`UnitOfWork(conn=...)`): the
handler's `with uow:` joins it, and the consumer commits, with the inbox row
that records the event as handled. Unit tests hand use cases an in-memory
unit of work instead (`tests/unit/<service>/fakes.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psycopg

from shared.outbox import Outbox
from shared.retention import Kept


class Attempt:
    """What `UnitOfWork.attempt` yields: `keep()` keeps what was done."""

    kept = False

    def keep(self) -> None:
        self.kept = True


class UnitOfWork:
    producer: str = ""

    def __init__(self, pool=None, *, conn=None, correlation_id=None, timeout=None):
        if (pool is None) == (conn is None):
            raise TypeError("a unit of work takes a pool, or a connection to join")
        self.pool = pool
        self.timeout = timeout  # seconds to wait for a pooled connection
        self.correlation_id = correlation_id
        self._joined = conn
        self._depth = 0
        self._stack: ExitStack | None = None
        self.conn = None

    def attach(self, conn) -> None:
        """Put what the use cases reach on `conn`: the service's repository
        as `self.repo` (all of its SQL), and any read-only views beside it."""
        raise NotImplementedError

    def __enter__(self) -> UnitOfWork:
        if self._depth == 0:
            if self._joined is not None:
                self.conn = self._joined
            else:
                self._stack = ExitStack()
                self.conn = self._stack.enter_context(
                    self.pool.connection(timeout=self.timeout)
                )
            self.attach(self.conn)
        self._depth += 1
        return self

    def __exit__(self, *exc) -> bool:
        self._depth -= 1
        if self._depth or self._stack is None:
            return False
        stack, self._stack = self._stack, None
        return bool(stack.__exit__(*exc))

    def outbox(self, correlation_id=None) -> Outbox:
        """Events written in this transaction; `correlation_id` (else the
        unit's own, else a new one) ties them to the request they are about."""
        return Outbox(self.conn, self.producer, correlation_id or self.correlation_id)

    def kept(self) -> Kept:
        """The purge of this service's rows in the shared tables."""
        return Kept(self.conn, self.producer)

    @contextmanager
    def attempt(self) -> Iterator[Attempt]:
        """A part of the transaction undone unless `keep()` is called before
        it ends (a savepoint): the locks it took are released with it."""
        tried = Attempt()
        with self.conn.transaction():
            yield tried
            if not tried.kept:
                raise psycopg.Rollback()
