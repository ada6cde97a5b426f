"""Prometheus metrics read from the shared store at scrape time, so that
they hold for the whole service whatever process did the work."""

from __future__ import annotations

import logging
import threading
import time

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from services.intake.ops.reports import Reports

log = logging.getLogger(__name__)
HISTOGRAMS = (
    ("time_to_proposal", "Submission to first proposal"),
    ("time_to_confirmation", "Submission to confirmation"),
)


class StoreCollector:
    """Whole-table aggregates, computed at most once per `ttl_s` whatever the
    number of scrapes (several Prometheus servers, a dashboard refreshing)."""

    def __init__(self, pool, ttl_s: float = 5.0, clock=time.monotonic):
        self.pool = pool
        self.ttl_s = ttl_s
        self.clock = clock
        self._lock = threading.Lock()
        self._families: list = []
        self._at: float | None = None

    def collect(self):
        with self._lock:
            if self._at is None or self.clock() - self._at >= self.ttl_s:
                self._families = self._compute()
                self._at = self.clock()
            return list(self._families)

    def _compute(self) -> list:
        try:
            with self.pool.connection(timeout=2) as conn:
                return list(self._collect(Reports(conn)))
        except Exception as exc:  # a scrape must not fail because the database is down
            log.warning("store metrics unavailable: %s", exc)
            return []

    def _collect(self, reports: Reports):
        requests = GaugeMetricFamily(
            "requests", "Introduction requests by status", labels=["status"]
        )
        for status, n in reports.by_status("requests").items():
            requests.add_metric([status], n)
        yield requests
        matches = GaugeMetricFamily(
            "matches", "Matches by where they stand now", labels=["status"]
        )
        counts = reports.by_status("matches")
        for status, n in counts.items():
            matches.add_metric([status], n)
        yield matches
        proposed = CounterMetricFamily(
            "matches_proposed", "Matches ever proposed (all matcher processes)"
        )
        proposed.add_metric([], sum(counts.values()))
        yield proposed
        for delay, text in HISTOGRAMS:
            h = reports.histogram(delay)
            buckets = [(str(float(b)), n) for b, n in h["buckets"]] + [
                ("+Inf", h["count"])
            ]
            family = HistogramMetricFamily(f"{delay}_seconds", text)
            family.add_metric([], buckets, h["sum"])
            yield family
        backlog = GaugeMetricFamily(
            "outbox_unpublished", "Outbox rows not yet published", labels=["producer"]
        )
        for r in reports.outbox_backlog():
            backlog.add_metric([r["producer"]], r["unpublished"])
        yield backlog
        dead = GaugeMetricFamily(
            "dead_letters_stored", "Dead letters not replayed", labels=["consumer"]
        )
        for consumer, n in reports.dead_letters_waiting().items():
            dead.add_metric([consumer], n)
        yield dead


def registry(pool, ttl_s: float = 5.0) -> CollectorRegistry:
    """A registry of its own for one app: scraped beside the process's metrics."""
    reg = CollectorRegistry(auto_describe=False)
    reg.register(StoreCollector(pool, ttl_s=ttl_s))
    return reg
