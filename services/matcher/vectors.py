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
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from services.matcher.fit import NO_FITS, Fits, host_text
from services.matcher.model import UNREADABLE, Host, Request, paused, refusal
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
class Pool:
    """The hosts that may take requests of one kind (fields, length,
    format, languages, site), as rows: ids, which cover the request's own
    field, their vectors, and each id's row."""

    ids: list
    exact: np.ndarray
    matrix: np.ndarray
    row: dict


class HostWords:
    """Every active host whose words are read as its profile now stands,
    with its vector, by field: read again at most every `HOSTS_FOR` of the
    policy's clock, or at once after a profile this process read (held by
    the `Policy`: one per process). The hosts that may take a kind of
    request are sorted out once per reading by the candidate query's own
    rules (`model.refusal`, and pauses) into a `Pool`: a request then costs
    one product, not a second query over the hosts."""

    def __init__(self) -> None:
        self._held: tuple | None = (
            None  # (when, {field: [(Host, vector)]}, {email: id})
        )
        self._pools: dict = {}

    def pool(self, uow, policy: Policy, request: Request, fields) -> Pool:
        now = policy.clock()
        held = self._held
        if held is None or not timedelta(0) <= now - held[0] < HOSTS_FOR:
            held = (now, *self._read(uow, policy))
            self._held, self._pools = held, {}
        key = (
            tuple(fields), request.duration, request.format,
            frozenset(request.languages),
            request.site if request.format == "in_person" else None,
        )  # fmt: skip
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = self._sort_out(held[1], request, fields, now)
        return pool

    def host_of(self, email: str):
        """The id of the host whose address is `email`, if any."""
        return self._held[2].get(email) if self._held else None

    def drop(self) -> None:
        self._held, self._pools = None, {}

    def _sort_out(self, by_field: dict, request: Request, fields, now) -> Pool:
        anyone = dataclasses.replace(request, requester_email="")  # self: per request
        related = set(fields) - {request.field}
        seen, kept = set(), []
        for f in fields:
            for host, vector in by_field.get(f, ()):
                if host.id in seen:
                    continue
                seen.add(host.id)
                if refusal(host, anyone, related, set()) is None and not paused(
                    host, now
                ):
                    kept.append((host, vector))
        if not kept:
            return Pool([], np.zeros(0, bool), np.zeros((0, meaning.DIMENSIONS)), {})
        ids = [h.id for h, _ in kept]
        return Pool(
            ids,
            np.fromiter((request.field in h.fields for h, _ in kept), bool, len(kept)),
            np.stack([v for _, v in kept]),
            {h: k for k, h in enumerate(ids)},
        )

    def _read(self, uow, policy: Policy) -> tuple[dict, dict]:
        model = policy.encoder.name
        rows = uow.repo.word_hosts(model)
        found = policy.host_vectors.get(
            uow.repo.host_vectors, model, {r["id"]: r["profile_at"] for r in rows}
        )
        by_field: dict = {}
        emails: dict = {}
        for row in rows:
            if row["id"] not in found:
                continue
            try:
                host = Host.from_row(row)
            except UNREADABLE as exc:
                log.warning("host %s skipped: unreadable profile: %s", row["id"], exc)
                continue
            emails[host.email] = host.id
            for f in host.fields:
                by_field.setdefault(f, []).append((host, found[row["id"]]))
        return by_field, emails


def candidate_fits(uow, policy: Policy, request: Request, fields, excluded) -> Fits:
    """The fits of every host that may take `request` (one of `fields`)."""
    goal = goals(uow, policy, [request]).get(request.id)
    if goal is None:
        return NO_FITS
    words = policy.host_words
    pool = words.pool(uow, policy, request, fields)
    if not pool.ids:
        return NO_FITS
    keep = np.ones(len(pool.ids), bool)
    for h in {*excluded, words.host_of(request.requester_email)}:
        if h in pool.row:
            keep[pool.row[h]] = False
    ids = [h for h, k in zip(pool.ids, keep.tolist(), strict=True) if k]
    return Fits.of_rows(ids, pool.matrix[keep] @ goal, pool.exact[keep])


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
