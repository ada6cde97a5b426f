"""PostgreSQL access: one pool per process, plain SQL."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout


def make_pool(
    url: str, *, min_size: int = 1, max_size: int = 8, name: str = "app"
) -> ConnectionPool:
    """A pool that opens lazily and keeps retrying while the server is down."""
    return ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        name=name,
        open=False,
        kwargs={"row_factory": dict_row, "connect_timeout": 5},
        reconnect_timeout=0,  # keep trying forever: a down database is not fatal
        timeout=10,
    )


def connect(url: str, **kwargs) -> psycopg.Connection:
    kwargs.setdefault("row_factory", dict_row)
    kwargs.setdefault("connect_timeout", 5)
    return psycopg.connect(url, **kwargs)


# SQLSTATEs that say the server, not the statement, is the trouble: a lost
# or refused connection (class 08), a server shutting down or starting
# (57P01-57P03), too many connections (53300).
OUTAGE_STATES = ("57P01", "57P02", "57P03", "53300")


def is_outage(exc: BaseException) -> bool:
    """True when `exc` means the database is down or unreachable, so the work
    should wait and be tried again, never blamed on its input. A statement
    that fails on its own (a statement time-out, a key too large for its
    index, a constraint) is not an outage, even where psycopg classes it as
    an OperationalError."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    return state is None or state.startswith("08") or state in OUTAGE_STATES
