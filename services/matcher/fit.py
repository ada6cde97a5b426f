"""How well hosts' words fit a request's goal, as the ranking reads it (no
SQL, no model here: the cosines come from `vectors`).

A fit is the cosine between the vector of the request's goal and that of
the host's text (what they can talk about, and their fields' labels). The
ranking reads it in bands, never raw: hosts within `STEP` of the best
fitting candidate are in band 0, the next `STEP` band 1, and so on to
`LAST` (every poorer fit). A host whose text is not read yet (a profile
saved a moment ago, or every one just after an upgrade) is in band 0: as
if the model were off, never behind for it. A host of
a related field counts `RELATED_PENALTY` less: it comes before an
exact-field host only when its words fit clearly better. Hosts of one band
fit about equally: fairness and scarcity choose among them. A goal of
fewer than `meaning.MIN_GOAL_WORDS` words is not read: fields alone rank it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

STEP = 0.05
LAST = 4
RELATED_PENALTY = 0.10


@dataclass(frozen=True)
class Fits:
    """The cosine of each host's text with one goal, as rows (`ids`, with
    `index` from id to row and, if made beforehand, `keys`, the ids as
    text), which rows are candidates (`kept`: not the requester's own
    profile nor a host excluded), the best effective fit among them
    (`best`), and each row's band and gap to the best, computed once.
    Empty: the goal was not read (no model), and every host is in band 0."""

    ids: list = field(default_factory=list)
    index: dict = field(default_factory=dict)
    keys: list = field(default_factory=list)
    cosines: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kept: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    best: float | None = None
    _bands: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    _gaps: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def of(cls, by_host: dict, exact: set) -> Fits:
        ids = list(by_host)
        return cls.of_rows(
            ids,
            np.fromiter(by_host.values(), np.float64, len(ids)),
            np.fromiter((h in exact for h in ids), bool, len(ids)),
        )

    @classmethod
    def of_rows(
        cls,
        ids: list,
        fits: np.ndarray,
        exact: np.ndarray,
        kept: np.ndarray | None = None,
        index: dict | None = None,
        keys: list | None = None,
    ) -> Fits:
        """`ids`, their cosines and whether each covers the request's own
        field, as arrays (the matcher's pools, which also give the rows
        `kept` as candidates and their `index` and `keys`, made once)."""
        kept = np.ones(len(ids), bool) if kept is None else np.asarray(kept, bool)
        if not kept.any():
            return NO_FITS
        fits = np.asarray(fits, np.float64)
        scores = fits - RELATED_PENALTY * ~np.asarray(exact, bool)
        best = float(scores[kept].max())
        gaps = np.maximum(best - scores, 0.0)
        bands = np.minimum((gaps / STEP + 1e-9).astype(int), LAST)
        return cls(
            ids,
            {h: k for k, h in enumerate(ids)} if index is None else index,
            keys or [],
            fits,
            kept,
            best,
            bands,
            gaps,
        )

    def _row(self, host_id) -> int | None:
        if not self.index:  # no fits (and no id to hash)
            return None
        k = self.index.get(host_id)
        return k if k is not None and self.kept[k] else None

    @property
    def by_host(self) -> dict:
        """Each candidate's cosine."""
        rows = np.flatnonzero(self.kept).tolist()
        return {self.ids[k]: float(self.cosines[k]) for k in rows}

    def band(self, host_id) -> int:
        """0 for the best fits (and without a model, or a host whose words
        are not read), to `LAST`."""
        k = self._row(host_id)
        return 0 if k is None else int(self._bands[k])

    def misfit(self, host_id) -> float:
        """How much less than the best the host fits (0 without a model,
        and when its words are not read)."""
        k = self._row(host_id)
        return 0.0 if k is None else float(self._gaps[k])

    def behind(self) -> dict:
        """The band of each candidate behind the best (band > 0), by id as
        text: what the candidate query orders by."""
        rows = np.flatnonzero(self.kept & (self._bands > 0))
        listed = rows.tolist()
        keys = (
            [self.keys[k] for k in listed]
            if self.keys
            else [str(self.ids[k]) for k in listed]
        )
        return dict(zip(keys, self._bands[rows].tolist(), strict=True))

    def explain(self, host_id) -> dict:
        """What the match keeps of it (`matches.score`)."""
        k = self._row(host_id)
        if self.best is None or k is None:
            return {"fit": None, "fit_band": self.band(host_id)}
        return {
            "fit": round(float(self.cosines[k]), 3),
            "fit_band": self.band(host_id),
            "best_fit": round(float(self.best), 3),
        }


NO_FITS = Fits()


def host_text(experience: str | None, field_labels: list[str]) -> str:
    """What is read of a host: their fields' names, then their own words."""
    return ". ".join([", ".join(field_labels), (experience or "").strip()]).strip(". ")
