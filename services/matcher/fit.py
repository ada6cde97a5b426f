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
    """The cosine of each host's text with one goal (`by_host`), the best
    effective one among the candidates (`best`), and each host's band and
    gap to the best, computed once. Empty: the goal was not read (no
    model), and every host is in band 0."""

    by_host: dict = field(default_factory=dict)
    best: float | None = None
    _bands: dict = field(default_factory=dict)
    _gaps: dict = field(default_factory=dict)

    @classmethod
    def of(cls, by_host: dict, exact: set) -> Fits:
        ids = list(by_host)
        return cls.of_rows(
            ids,
            np.fromiter(by_host.values(), np.float64, len(ids)),
            np.fromiter((h in exact for h in ids), bool, len(ids)),
        )

    @classmethod
    def of_rows(cls, ids: list, fits: np.ndarray, exact: np.ndarray) -> Fits:
        """`ids`, their cosines and whether each covers the request's own
        field, as arrays (the matcher's pools)."""
        if not ids:
            return NO_FITS
        fits = np.asarray(fits, np.float64)
        scores = fits - RELATED_PENALTY * ~np.asarray(exact, bool)
        best = float(scores.max())
        gaps = np.maximum(best - scores, 0.0)
        bands = np.minimum((gaps / STEP + 1e-9).astype(int), LAST)
        return cls(
            dict(zip(ids, fits.tolist(), strict=True)),
            best,
            dict(zip(ids, bands.tolist(), strict=True)),
            dict(zip(ids, gaps.tolist(), strict=True)),
        )

    def band(self, host_id) -> int:
        """0 for the best fits (and without a model, or a host whose words
        are not read), to `LAST`."""
        return self._bands.get(host_id, 0)

    def misfit(self, host_id) -> float:
        """How much less than the best the host fits (0 without a model,
        and when its words are not read)."""
        return self._gaps.get(host_id, 0.0)

    def bands(self) -> dict:
        return self._bands

    def explain(self, host_id) -> dict:
        """What the match keeps of it (`matches.score`)."""
        fit = self.by_host.get(host_id)
        if self.best is None or fit is None:
            return {"fit": None, "fit_band": self.band(host_id)}
        return {
            "fit": round(float(fit), 3),
            "fit_band": self.band(host_id),
            "best_fit": round(float(self.best), 3),
        }


NO_FITS = Fits()


def host_text(experience: str | None, field_labels: list[str]) -> str:
    """What is read of a host: their fields' names, then their own words."""
    return ". ".join([", ".join(field_labels), (experience or "").strip()]).strip(". ")
