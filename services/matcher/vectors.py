"""Reading people's words into vectors (`shared.meaning`), and the fits of
a request's candidates (`fit.Fits`). The matcher owns `host_vectors` and
`goal_vectors`: each text is read once per model, when it is first needed
(a goal) or when its profile changes (a host). Runs inside the caller's
unit of work; with no model (`Policy.encoder` None) nothing is read and
every fit is `NO_FITS`."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from services.matcher.fit import NO_FITS, Fits, host_text
from services.matcher.model import (
    UNREADABLE,
    Host,
    Request,
    conditions,
    paused,
    refusal,
)
from shared import meaning

if TYPE_CHECKING:
    from services.matcher.policy import Policy

log = logging.getLogger(__name__)
HOST_BATCH = 256  # host profiles read in one transaction
HOSTS_FOR = timedelta(seconds=30)  # the hosts' words reused this long (policy clock)


def goals(uow, policy: Policy, requests: list[Request]) -> dict:
    """The vector of each request's goal: stored, or read now and stored."""
    encoder = policy.encoder
    if encoder is None or not requests:
        return {}
    stored = uow.repo.goal_vectors([r.id for r in requests], encoder.name)
    out = {k: meaning.from_bytes(v) for k, v in stored.items()}
    unread = [r for r in requests if r.id not in out and meaning.says_enough(r.goal)]
    if unread:
        vectors = encoder.embed([r.goal for r in unread])
        read = {r.id: v for r, v in zip(unread, vectors, strict=True)}
        uow.repo.store_goal_vectors(
            {k: meaning.to_bytes(v) for k, v in read.items()}, encoder.name
        )
        out.update(read)
    return out


def fits_of(goal: np.ndarray | None, request: Request, hosts: dict) -> Fits:
    """The fits with `goal` of `hosts` ({id: (fields, vector)})."""
    if goal is None or not hosts:
        return NO_FITS
    ids = list(hosts)
    cosines = meaning.fits(goal, [hosts[h][1] for h in ids])
    exact = {h for h in ids if request.field in hosts[h][0]}
    return Fits.of(dict(zip(ids, cosines.tolist(), strict=True)), exact)


@dataclass(frozen=True)
class Reading:
    """The active hosts whose words are read, as one reading holds them:
    their ids (and as text, `keys`), vectors (row k of `matrix`), the rows
    of each field, and each row's conditions (`model.conditions`: an index
    in `hosts_alike`, which holds one host of each)."""

    ids: list
    keys: list
    matrix: np.ndarray
    rows_of: dict
    conditions_of: np.ndarray
    hosts_alike: list
    emails: dict


@dataclass(frozen=True)
class Pool:
    """The hosts that may take requests of one kind (fields, length,
    format, languages, site): their rows in the `Reading` whose vectors
    are `matrix` (held here: another thread may read the hosts again
    meanwhile), which cover the request's own field, their ids and keys,
    and each id's place here."""

    matrix: np.ndarray
    rows: np.ndarray
    exact: np.ndarray
    ids: list
    keys: list
    row: dict


class HostWords:
    """Every active host whose words are read as its profile now stands,
    with its vector, by field: read again at most every `HOSTS_FOR` of the
    policy's clock, or at once after a profile this process read (held by
    the `Policy`: one per process). The hosts that may take a kind of
    request are sorted out once per reading by the candidate query's own
    rules (`model.refusal`, once per host conditions, and pauses) into a
    `Pool`: a request then costs one product, not a second query over the
    hosts."""

    def __init__(self) -> None:
        self._held: tuple[datetime, Reading] | None = None
        self._pools: dict = {}

    def pool(self, uow, policy: Policy, request: Request, fields) -> Pool:
        now = policy.clock()
        held = self._held
        if held is None or not timedelta(0) <= now - held[0] < HOSTS_FOR:
            held = (now, self._read(uow, policy))
            self._held, self._pools = held, {}
        key = (
            tuple(fields), request.duration, request.format,
            frozenset(request.languages),
            request.site if request.format == "in_person" else None,
        )  # fmt: skip
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _sort_out(held[1], request, fields, now)
        return pool

    def host_of(self, email: str):
        """The id of the host whose address is `email`, if any."""
        return self._held[1].emails.get(email) if self._held else None

    def drop(self) -> None:
        self._held, self._pools = None, {}

    def _read(self, uow, policy: Policy) -> Reading:
        model = policy.encoder.name
        rows = uow.repo.word_hosts(model)
        found = policy.host_vectors.get(
            uow.repo.host_vectors, model, {r["id"]: r["profile_at"] for r in rows}
        )
        read = []
        for row in rows:
            if row["id"] not in found:
                continue
            try:
                read.append((Host.from_row(row), found[row["id"]]))
            except UNREADABLE as exc:
                log.warning("host %s skipped: unreadable profile: %s", row["id"], exc)
        return reading_of(read)


def reading_of(hosts: list[tuple[Host, np.ndarray]]) -> Reading:
    """The `Reading` of hosts and their vectors."""
    ids, rows_of, conditions_of, alike = [], {}, [], {}
    for host, _ in hosts:
        for f in host.fields:
            rows_of.setdefault(f, []).append(len(ids))
        conditions_of.append(alike.setdefault(conditions(host), (len(alike), host))[0])
        ids.append(host.id)
    return Reading(
        ids,
        [str(h) for h in ids],
        np.stack([v for _, v in hosts])
        if hosts
        else np.zeros((0, meaning.DIMENSIONS), np.float32),
        {f: np.array(r, np.intp) for f, r in rows_of.items()},
        np.array(conditions_of, np.intp),
        [host for _, host in alike.values()],
        {host.email: host.id for host, _ in hosts},
    )


def _sort_out(reading: Reading, request: Request, fields, now) -> Pool:
    """The pool of `request`'s kind: the hosts of `fields` that
    `model.refusal` lets take it and are not paused, decided once per host
    conditions (as a host of the request's own field, and of a related one)."""
    anyone = dataclasses.replace(request, requester_email="")  # self: per request
    related = set(fields) - {request.field}
    parts = [reading.rows_of[f] for f in fields if f in reading.rows_of]
    if not parts:
        return Pool(reading.matrix, np.zeros(0, np.intp), np.zeros(0, bool), [], [], {})
    rows = np.unique(np.concatenate(parts))
    exact = np.isin(rows, reading.rows_of.get(request.field, ()))

    def taken(as_field: str | None) -> np.ndarray:
        if as_field is None:
            return np.zeros(len(reading.hosts_alike), bool)
        return np.fromiter(
            (
                refusal(
                    dataclasses.replace(h, fields=(as_field,)), anyone, related, set()
                )
                is None
                and not paused(h, now)
                for h in reading.hosts_alike
            ),
            bool,
            len(reading.hosts_alike),
        )

    alike = reading.conditions_of[rows]
    by_exact = taken(request.field)[alike]
    by_related = taken(min(related) if related else None)[alike]
    keep = np.where(exact, by_exact, by_related)
    rows, exact = rows[keep], exact[keep]
    listed = rows.tolist()
    ids = [reading.ids[r] for r in listed]
    return Pool(
        reading.matrix, rows, exact, ids, [reading.keys[r] for r in listed],
        {h: k for k, h in enumerate(ids)},
    )  # fmt: skip


def candidate_fits(uow, policy: Policy, request: Request, fields, excluded) -> Fits:
    """The fits of every host that may take `request` (one of `fields`)."""
    goal = goals(uow, policy, [request]).get(request.id)
    if goal is None:
        return NO_FITS
    words = policy.host_words
    pool = words.pool(uow, policy, request, fields)
    if not pool.ids:
        return NO_FITS
    matrix = pool.matrix
    # the product over every host, then the pool's rows, when the pool is
    # most of them: cheaper than gathering its rows first
    if 4 * len(pool.rows) > len(matrix):
        cosines = (matrix @ goal)[pool.rows]
    else:
        cosines = matrix[pool.rows] @ goal
    kept = np.ones(len(pool.ids), bool)
    for h in {*excluded, words.host_of(request.requester_email)}:
        if h in pool.row:
            kept[pool.row[h]] = False
    return Fits.of_rows(pool.ids, cosines, pool.exact, kept, pool.row, pool.keys)


def batch_vectors(uow, policy: Policy, host_ids: list) -> dict:
    """Host id -> vector, of `host_ids` whose text the model has read."""
    model = policy.encoder.name
    versions = uow.repo.vector_versions(host_ids, model)
    return policy.host_vectors.get(uow.repo.host_vectors, model, versions)


def read_hosts(uow, policy: Policy, host_ids: list | None = None) -> int:
    """Read the profiles of `host_ids` (or any) not read as they stand,
    `HOST_BATCH` at most; how many were read."""
    encoder = policy.encoder
    if encoder is None:
        return 0
    rows = uow.repo.unread_hosts(encoder.name, host_ids, HOST_BATCH)
    if not rows:
        return 0
    texts = [
        host_text(
            r["experience"],
            [n for f in r["fields"] for n in meaning.field_names(policy.taxonomy, f)],
        )
        for r in rows
    ]
    vectors = encoder.embed(texts)
    uow.repo.store_host_vectors(
        [
            (r["id"], r["updated_at"], meaning.to_bytes(v))
            for r, v in zip(rows, vectors, strict=True)
        ],
        encoder.name,
    )
    return len(rows)
