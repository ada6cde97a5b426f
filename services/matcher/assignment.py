"""Several waiting requests at once: assign them jointly.

Each request brings its ranked proposals (one per feasible host). Hosts are
expanded into capacity units, one per meeting they may still take in a
month; a minimum-cost bipartite matching (scipy's LAPJVsp on a sparse graph)
first maximises the number of requests served, then the number served in
their exact field, then minimises the sum of the ranks of the chosen
proposals. Two requests given the same host get their
slots again one after the other (`reslot`), so they never overlap.

The one-at-a-time plan (each request, oldest first, takes its best proposal
still open) is computed too, and the plan that serves more requests wins: the
joint plan never serves fewer than one-at-a-time on the same input.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

# reslot(request_key, proposal, meetings already planned for that host) → a proposal or None
Reslot = Callable[[Hashable, object, list], object]


@dataclass
class Plan:
    chosen: dict  # request key → proposal, in booking order
    method: str  # "joint" or "one-at-a-time"
    joint_count: int
    greedy_count: int


def plan(order: list, options: dict, remaining: dict, reslot: Reslot) -> Plan:
    """`order`: request keys, oldest first; `options[key]`: its proposals, best
    first, each with `.host.id`, `.month`, `.start`, `.end`; `remaining[(host_id,
    month)]`: meetings the host may still take that month."""
    greedy = one_at_a_time(order, options, remaining, reslot)
    joint = jointly(order, options, remaining, reslot)
    if len(joint) >= len(greedy):
        return Plan(joint, "joint", len(joint), len(greedy))
    return Plan(greedy, "one-at-a-time", len(joint), len(greedy))


class _Book:
    def __init__(self, remaining: dict, reslot: Reslot):
        self.remaining = dict(remaining)
        self.reslot = reslot
        self.planned: dict = defaultdict(list)  # host id → [(start, end, month)]
        self.chosen: dict = {}

    def take(self, key, proposal) -> bool:
        host_id = proposal.host.id
        if self.planned[host_id]:
            proposal = self.reslot(key, proposal, list(self.planned[host_id]))
            if proposal is None:
                return False
        unit = (host_id, proposal.month)
        if self.remaining.get(unit, 0) <= 0:
            return False
        self.remaining[unit] -= 1
        self.planned[host_id].append((proposal.start, proposal.end, proposal.month))
        self.chosen[key] = proposal
        return True


def one_at_a_time(order, options, remaining, reslot) -> dict:
    book = _Book(remaining, reslot)
    for key in order:
        for proposal in options.get(key, ()):
            if book.take(key, proposal):
                break
    return book.chosen


def jointly(order, options, remaining, reslot) -> dict:
    rows = [k for k in order if options.get(k)]
    if not rows:
        return {}
    demand: dict = defaultdict(int)
    for k in rows:
        for p in options[k]:
            demand[(p.host.id, p.month)] += 1
    units: dict = {}
    columns = 0
    for unit, wanted in demand.items():
        n = min(remaining.get(unit, 0), wanted)
        if n > 0:
            units[unit] = range(columns, columns + n)
            columns += n
    worst = max(len(options[k]) for k in rows) + 1
    # a related-field proposal costs more than any difference of ranks, so
    # among the plans serving the most requests, the most exact-field ones win
    related = worst
    dummy_cost = float(
        2 * worst * len(rows) + 1
    )  # never worth leaving a request out to improve ranks or fields
    data, ri, ci = [], [], []
    for i, k in enumerate(rows):
        for rank, p in enumerate(options[k]):
            cost = 1.0 + rank + (0 if getattr(p, "exact", True) else related)
            for j in units.get((p.host.id, p.month), ()):
                data.append(cost)
                ri.append(i)
                ci.append(j)
        data.append(dummy_cost)
        ri.append(i)
        ci.append(columns + i)
    graph = csr_matrix(
        (np.array(data), (np.array(ri), np.array(ci))),
        shape=(len(rows), columns + len(rows)),
    )
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    owner = {j: unit for unit, js in units.items() for j in js}
    assigned = {}
    for i, j in zip(row_ind, col_ind, strict=True):
        if j < columns:
            unit = owner[j]
            k = rows[i]
            assigned[k] = next(p for p in options[k] if (p.host.id, p.month) == unit)
    book = _Book(remaining, reslot)
    left = []
    for k in rows:
        if k in assigned and book.take(k, assigned[k]):
            continue
        left.append(k)
    for k in (
        left
    ):  # what the matching could not place (or whose slot clashed): one at a time
        for proposal in options[k]:
            if book.take(k, proposal):
                break
    return book.chosen
