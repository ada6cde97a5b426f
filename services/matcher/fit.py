"""How well hosts' words fit a request's goal, as the ranking reads it (no
SQL, no model here: the cosines come from `vectors`).

A fit is the cosine between the vector of the request's goal and that of
the host's text (what they can talk about, and their fields' labels). The
ranking reads it in bands, never raw: hosts within `STEP` of the best
fitting candidate are in band 0, the next `STEP` band 1, and so on to
`LAST` (every poorer fit, and a host whose text is not read yet). A host of
a related field counts `RELATED_PENALTY` less: it comes before an
exact-field host only when its words fit clearly better. Hosts of one band
fit about equally: fairness and scarcity choose among them. A goal of
fewer than `MIN_GOAL_WORDS` words is not read: fields alone rank it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STEP = 0.05
LAST = 4
RELATED_PENALTY = 0.10
# A goal of fewer words says too little to rank by ("Curious", "Discuss
# career"): its fits would be noise that outranks fairness, so such a
# request is ranked on fields alone.
MIN_GOAL_WORDS = 4
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Fits:
    """The cosine of each host's text with one goal (`by_host`), and the
    best effective one among the candidates (`best`). Empty: the goal was
    not read (no model), and every host is in band 0."""

    by_host: dict = field(default_factory=dict)
    exact: frozenset = frozenset()  # the hosts of the request's own field
    best: float | None = None

    @classmethod
    def of(cls, by_host: dict, exact: set) -> Fits:
        scores = [effective(f, h in exact) for h, f in by_host.items()]
        return cls(dict(by_host), frozenset(exact), max(scores) if scores else None)

    def band(self, host_id) -> int:
        if self.best is None:
            return 0
        fit = self.by_host.get(host_id)
        if fit is None:
            return LAST
        score = effective(fit, host_id in self.exact)
        return min(int((self.best - score) / STEP + 1e-9), LAST)

    def misfit(self, host_id) -> float:
        """How much less than the best the host fits (0 without a model;
        `STEP * (LAST + 1)` when its words are not read)."""
        if self.best is None:
            return 0.0
        fit = self.by_host.get(host_id)
        if fit is None:
            return STEP * (LAST + 1)
        return max(self.best - effective(fit, host_id in self.exact), 0.0)

    def bands(self) -> dict:
        return {h: self.band(h) for h in self.by_host}

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


def effective(fit: float, exact: bool) -> float:
    return float(fit) - (0.0 if exact else RELATED_PENALTY)


def says_enough(goal: str) -> bool:
    return len(WORD.findall(goal)) >= MIN_GOAL_WORDS


def host_text(experience: str | None, field_labels: list[str]) -> str:
    """What is read of a host: their fields' names, then their own words."""
    return ". ".join([", ".join(field_labels), (experience or "").strip()]).strip(". ")
