"""How this matcher matches: the taxonomy, the times it keeps, its clock,
whether requests wait for a round, and the model that reads people's words. Built once per process from the
settings (`wiring.make_policy`) and handed to every use case."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.matcher import forecast, ranking, vectors
from shared import meaning
from shared.clock import utc_now
from shared.fields import Taxonomy
from shared.meaning import Encoder

DEMAND_TTL = timedelta(seconds=1)  # demand figures reused this long (policy clock)
ZONES_TTL = timedelta(seconds=60)  # the hosts' time zones reused this long
ZONES = 50  # time zones read, the most common first (others: `slots.ANYWHERE`)


@dataclass
class Policy:
    taxonomy: Taxonomy
    response_timeout: timedelta
    lead: timedelta
    margin: timedelta = timedelta(hours=2)  # the latest answer, before the start
    clock: Callable[[], datetime] = utc_now
    # 0: each request is matched on arrival; else it waits this long for a round
    round_window: timedelta = timedelta(0)
    demand_window: timedelta = timedelta(days=30)  # trailing arrivals counted as demand
    encoder: Encoder | None = None  # reads goals and hosts' words; None: fields alone
    host_vectors: meaning.VectorCache = field(
        default_factory=meaning.VectorCache, repr=False
    )
    host_words: vectors.HostWords = field(
        default_factory=vectors.HostWords, repr=False, compare=False
    )
    _demand: tuple | None = field(default=None, repr=False, compare=False)
    _zones: tuple | None = field(default=None, repr=False, compare=False)
    _rates: forecast.HostRates = field(
        default_factory=forecast.HostRates, repr=False, compare=False
    )

    @property
    def rounds(self) -> bool:
        return self.round_window > timedelta(0)

    def demand(self, repo, now: datetime) -> ranking.Demand:
        """Waiting requests, recent arrivals and capacity per field, read in
        one query, and the rate at which recent arrivals could have taken
        each host (`forecast.HostRates`); reused for `DEMAND_TTL` of the
        policy's clock."""
        cached = self._demand
        if cached is not None and timedelta(0) <= now - cached[0] < DEMAND_TTL:
            return cached[1]
        figures = repo.field_demand(now, self.demand_window)
        rates = self._rates.rates(repo, self, now)
        if rates:
            figures = dataclasses.replace(figures, rates=rates)
        self._demand = (now, figures)
        return figures

    def zones(self, repo, now: datetime) -> list[str]:
        """The time zones of the active hosts (`ZONES` at most, the most
        common first), reused for `ZONES_TTL` of the policy's clock: a
        host in a zone not read yet is checked as if it could be anywhere
        (`slots.reach`)."""
        cached = self._zones
        if cached is None or not timedelta(0) <= now - cached[0] < ZONES_TTL:
            cached = self._zones = (now, repo.host_zones(ZONES))
        return cached[1]

    def related(self, field: str) -> set[str]:
        """The fields related to `field` (its parent, its siblings)."""
        return self.taxonomy.related(field) if field in self.taxonomy else set()

    def related_for(self, request) -> set[str]:
        """The related fields a request takes (none unless `related_ok`)."""
        return self.related(request.field) if request.related_ok else set()

    def served_by(self, host_fields: list[str]) -> tuple[list[str], list[str]]:
        """(fields served exactly, fields served as related) by a host with `host_fields`."""
        exact = set(host_fields)
        related = {f for f in self.taxonomy.fields if self.related(f) & exact} - exact
        return sorted(exact), sorted(related)
