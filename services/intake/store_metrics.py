"""Prometheus metrics read from the shared store at scrape time, so that
they hold for the whole service whatever process did the work."""

from __future__ import annotations

import logging

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import REGISTRY

from shared.statuses import MATCH_STATUSES, REQUEST_STATUSES

log = logging.getLogger(__name__)
BUCKETS = (60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400)


class StoreCollector:
    pool = None

    def collect(self):
        if self.pool is None:
            return
        try:
            with self.pool.connection(timeout=2) as conn:
                yield from self._collect(conn)
        except Exception as exc:  # a scrape must not fail because the database is down
            log.warning("store metrics unavailable: %s", exc)

    def _collect(self, conn):
        requests = GaugeMetricFamily(
            "requests", "Introduction requests by status", labels=["status"]
        )
        counts = {
            r["status"]: r["n"]
            for r in conn.execute(
                "SELECT status, count(*) AS n FROM requests GROUP BY 1"
            )
        }
        for status in REQUEST_STATUSES:
            requests.add_metric([status], counts.get(status, 0))
        yield requests
        matches = GaugeMetricFamily(
            "matches", "Matches by where they stand now", labels=["status"]
        )
        counts = {
            r["status"]: r["n"]
            for r in conn.execute(
                "SELECT status, count(*) AS n FROM matches GROUP BY 1"
            )
        }
        for status in MATCH_STATUSES:
            matches.add_metric([status], counts.get(status, 0))
        yield matches
        proposed = CounterMetricFamily(
            "matches_proposed", "Matches ever proposed (all matcher processes)"
        )
        proposed.add_metric([], sum(counts.values()))
        yield proposed
        for name, column, text in (
            ("time_to_proposal_seconds", "proposed_at", "Submission to first proposal"),
            (
                "time_to_confirmation_seconds",
                "confirmed_at",
                "Submission to confirmation",
            ),
        ):
            yield self._histogram(conn, name, column, text)
        backlog = GaugeMetricFamily(
            "outbox_unpublished", "Outbox rows not yet published", labels=["producer"]
        )
        for r in conn.execute(
            "SELECT producer, count(*) AS n FROM outbox WHERE published_at IS NULL GROUP BY 1"
        ):
            backlog.add_metric([r["producer"]], r["n"])
        yield backlog
        dead = GaugeMetricFamily(
            "dead_letters_stored", "Dead letters not replayed", labels=["consumer"]
        )
        for r in conn.execute(
            "SELECT consumer, count(*) AS n FROM dead_letters WHERE replayed_at IS NULL GROUP BY 1"
        ):
            dead.add_metric([r["consumer"]], r["n"])
        yield dead

    def _histogram(self, conn, name, column, text):
        cols = ", ".join(
            f"count(*) FILTER (WHERE d <= {b}) AS b{i}" for i, b in enumerate(BUCKETS)
        )
        row = conn.execute(
            f"SELECT {cols}, count(*) AS n, coalesce(sum(d), 0) AS total FROM"
            f" (SELECT extract(epoch FROM {column} - created_at) AS d FROM requests"
            f" WHERE {column} IS NOT NULL) t"
        ).fetchone()
        buckets = [(str(float(b)), row[f"b{i}"]) for i, b in enumerate(BUCKETS)] + [
            ("+Inf", row["n"])
        ]
        h = HistogramMetricFamily(name, text)
        h.add_metric([], buckets, float(row["total"]))
        return h


COLLECTOR = StoreCollector()
REGISTRY.register(COLLECTOR)
