"""PostgreSQL access: one pool per process, plain SQL."""

from __future__ import annotations

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool


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
