"""Per-model success predictors learned from recorded outcomes, from prompt text only.

Every learner has the same two calls (interfaces.md E):

* ``fit(texts, Y, *, aux=None) -> self`` — ``Y`` (n, m): the outcome of each of the m models the
  router chooses among on each training prompt (1/True = right, 0 = wrong, scores in [0, 1]
  allowed, NaN = not recorded, skipped). ``aux`` (n, a), optional: other models' outcomes on the
  SAME training prompts. Only the factor and IRT learners use it (shared strength: what 17 models
  got right on a prompt says how hard it is); the per-model learners ignore it.
* ``predict(texts) -> (n, m)`` — predicted quality of each of the m models in [0, 1].

Learners: :class:`LogisticPerModel` (one L2 logistic regression per model on a featurizer's
columns), :class:`KNNPerModel` (similarity-weighted nearest neighbours, the idea behind RouteLLM's
``sw_ranking``: outcomes of similar training prompts count more, shrunk to the model's mean),
:class:`FactorModel` (EmbedLLM-style: prompt features -> a k-dim latent, one embedding and bias
per model, sigmoid of the dot product, trained on all models at once), :class:`IRTModel` (a
two-parameter IRT model: one scalar difficulty per prompt predicted from its text, one ability
and one discrimination per model), and :class:`Ensemble` (mean of members' logits).
After ``fit`` the factor and IRT models keep numpy weights only, so loading one needs no torch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

import numpy as np

from routerlab.errors import ConfigError

EPS = 1e-4


class OutcomeLearner(Protocol):
    name: str

    def fit(
        self, texts: Sequence[str], Y: np.ndarray, *, aux: np.ndarray | None = None
    ) -> OutcomeLearner: ...

    def predict(self, texts: Sequence[str]) -> np.ndarray: ...


def check_outcomes(texts: Sequence[str], Y: Any, what: str = "Y") -> np.ndarray:
    """``Y`` as a float (n, m) array with values in [0, 1] or NaN; errors say what is wrong."""
    arr = np.asarray(Y, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] != len(texts):
        raise ConfigError(
            f"{what} must have shape (len(texts), models) = ({len(texts)}, m), got {arr.shape}"
        )
    finite = arr[np.isfinite(arr)]
    if finite.size and (finite.min() < 0 or finite.max() > 1):
        raise ConfigError(
            f"{what} values must lie in [0, 1] (or be NaN), got {finite.min()}..{finite.max()}"
        )
    if arr.shape[0] < 2:
        raise ConfigError(f"need at least 2 training prompts, got {arr.shape[0]}")
    return arr


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _vstack(a: Any, b: Any) -> Any:
    from scipy import sparse

    if sparse.issparse(a):
        return sparse.vstack([a, b], format="csr")
    return np.vstack([a, b])


def _standardise_fit(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd < 1e-8] = 1.0
    return mean, sd


# ----------------------------------------------------------------------------- per-model


@dataclass
class LogisticPerModel:
    """One L2-regularised logistic regression per model on standardised features.

    Fractional scores are fitted as soft labels (each prompt counted once as right with weight
    y and once as wrong with weight 1 - y). A model whose training outcomes are constant gets that
    constant (clipped into (0, 1)).
    """

    featurizer: Any
    c: float = 0.1
    name: str = "logistic"
    _mean: Any = field(default=None, init=False, repr=False)
    _sd: Any = field(default=None, init=False, repr=False)
    _heads: list[tuple[np.ndarray, float] | float] = field(
        default_factory=list, init=False, repr=False
    )

    def fit(
        self, texts: Sequence[str], Y: np.ndarray, *, aux: np.ndarray | None = None
    ) -> LogisticPerModel:
        from sklearn.linear_model import LogisticRegression

        if self.c <= 0:
            raise ConfigError(f"c must be > 0, got {self.c}")
        texts = list(texts)
        Y = check_outcomes(texts, Y)
        X = self._scale(self.featurizer.fit(texts).transform(texts), fit=True)
        self._heads = []
        for j in range(Y.shape[1]):
            seen = np.isfinite(Y[:, j])
            y = Y[seen, j]
            if len(y) == 0 or y.min() == y.max():
                self._heads.append(float(np.clip(y.mean() if len(y) else 0.5, EPS, 1 - EPS)))
                continue
            Xs = _vstack(X[seen], X[seen])
            labels = np.r_[np.ones(len(y)), np.zeros(len(y))]
            weights = np.r_[y, 1 - y]
            keep = weights > 0
            model = LogisticRegression(C=self.c, max_iter=2000)
            model.fit(Xs[keep], labels[keep], sample_weight=weights[keep])
            self._heads.append((model.coef_[0].astype(np.float64), float(model.intercept_[0])))
        return self

    def _scale(self, X: Any, fit: bool = False) -> Any:
        """Standardise dense features; a sparse TF-IDF block is used as is (rows L2-normed)."""
        from scipy import sparse

        if sparse.issparse(X):
            return sparse.csr_matrix(X)
        if fit:
            self._mean, self._sd = _standardise_fit(X)
        return (X - self._mean) / self._sd

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        if not self._heads:
            raise ConfigError(f"{self.name} is not fitted; call fit() first")
        X = self._scale(self.featurizer.transform(list(texts)))
        cols = []
        for head in self._heads:
            if isinstance(head, float):
                cols.append(np.full(X.shape[0], head))
            else:
                w, b = head
                cols.append(_sigmoid(X @ w + b))
        return np.column_stack(cols)


@dataclass
class KNNPerModel:
    """Similarity-weighted k nearest neighbours (cosine), per model, shrunk to the model's mean.

    pred_j(x) = (sum_i w_i y_ij + alpha * mean_j) / (sum_i w_i + alpha) over the ``k`` most similar
    training prompts, with w_i = exp((sim_i - 1) / tau): as in RouteLLM's ``sw_ranking``, closer
    prompts weigh exponentially more.
    """

    featurizer: Any
    k: int = 30
    tau: float = 0.1
    alpha: float = 2.0
    name: str = "knn"
    _X: Any = field(default=None, init=False, repr=False)
    _Y: Any = field(default=None, init=False, repr=False)
    _prior: Any = field(default=None, init=False, repr=False)

    def fit(
        self, texts: Sequence[str], Y: np.ndarray, *, aux: np.ndarray | None = None
    ) -> KNNPerModel:
        if self.k < 1 or self.tau <= 0 or self.alpha < 0:
            raise ConfigError("knn needs k >= 1, tau > 0 and alpha >= 0")
        texts = list(texts)
        self._Y = check_outcomes(texts, Y)
        self._X = self._unit(self.featurizer.fit(texts).transform(texts))
        self._prior = np.nanmean(self._Y, axis=0)
        return self

    @staticmethod
    def _unit(X: Any) -> np.ndarray:
        X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)  # TF-IDF alone is sparse
        norm = np.linalg.norm(X, axis=1, keepdims=True)
        return X / np.maximum(norm, 1e-12)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        if self._X is None:
            raise ConfigError(f"{self.name} is not fitted; call fit() first")
        Q = self._unit(self.featurizer.transform(list(texts)))
        sims = Q @ self._X.T
        k = min(self.k, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        s = np.take_along_axis(sims, top, axis=1)
        w = np.exp((s - 1.0) / self.tau)
        out = np.empty((len(Q), self._Y.shape[1]))
        for j in range(self._Y.shape[1]):
            y = self._Y[top, j]
            seen = np.isfinite(y)
            ww = np.where(seen, w, 0.0)
            out[:, j] = (np.nansum(ww * np.nan_to_num(y), axis=1) + self.alpha * self._prior[j]) / (
                ww.sum(axis=1) + self.alpha
            )
        return np.clip(out, EPS, 1 - EPS)


# ----------------------------------------------------------------------------- shared strength


def _train_torch(
    build: Any, X: np.ndarray, Y: np.ndarray, epochs: int, lr: float, seed: int
) -> dict[str, np.ndarray]:
    """Full-batch Adam on the masked binary cross-entropy of every recorded cell."""
    import torch

    torch.manual_seed(seed)
    xt = torch.tensor(X, dtype=torch.float32)
    yt = torch.tensor(np.nan_to_num(Y), dtype=torch.float32)
    mask = torch.tensor(np.isfinite(Y), dtype=torch.float32)
    params, forward, penalty = build(torch, X.shape[1], Y.shape[1])
    opt = torch.optim.Adam(params.values(), lr=lr)
    total = mask.sum().clamp(min=1.0)
    for _ in range(epochs):
        opt.zero_grad()
        logits = forward(params, xt)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, yt, weight=mask)
        loss = loss * mask.numel() / total + penalty(params)
        loss.backward()
        opt.step()
    return {k: v.detach().numpy().astype(np.float64) for k, v in params.items()}


@dataclass
class _SharedStrength(ABC):
    """What the factor and IRT models share: standardised prompt features, targets stacked with
    ``aux``, full-batch training of the parameters :meth:`_build` lays out (their starting bias:
    the logit of each column's mean outcome), and numpy weights only after ``fit``."""

    featurizer: Any
    l2: float = 1e-3
    epochs: int = 300
    lr: float = 0.02
    seed: int = 0
    name: str = "shared-strength"
    _mean: Any = field(default=None, init=False, repr=False)
    _sd: Any = field(default=None, init=False, repr=False)
    _w: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _m: int = field(default=0, init=False, repr=False)

    @abstractmethod
    def _validate(self) -> None:
        """Raise :class:`ConfigError` naming the hyper-parameter that is out of range."""

    @abstractmethod
    def _build(self, prior: np.ndarray) -> Any:
        """``build(torch, d, m) -> (params, forward, penalty)`` for :func:`_train_torch`."""

    def fit(self, texts: Sequence[str], Y: np.ndarray, *, aux: np.ndarray | None = None) -> Self:
        self._validate()
        texts = list(texts)
        Y = check_outcomes(texts, Y)
        self._m = Y.shape[1]
        target = Y  # the chosen models' columns first, then aux's
        if aux is not None:
            aux = np.asarray(aux, dtype=float)
            if aux.ndim != 2 or aux.shape[0] != len(texts):
                raise ConfigError(f"aux must have shape ({len(texts)}, a), got {aux.shape}")
            target = np.hstack([Y, aux])
        X = self.featurizer.fit(texts).transform(texts)
        self._mean, self._sd = _standardise_fit(X)
        X = (X - self._mean) / self._sd
        prior = _logit(np.nanmean(target, axis=0))
        self._w = _train_torch(self._build(prior), X, target, self.epochs, self.lr, self.seed)
        return self

    def _features(self, texts: Sequence[str]) -> np.ndarray:
        """The standardised features of ``texts`` (the training rows' mean and scale)."""
        if not self._w:
            raise ConfigError(f"{self.name} is not fitted; call fit() first")
        return (self.featurizer.transform(list(texts)) - self._mean) / self._sd


@dataclass
class FactorModel(_SharedStrength):
    """EmbedLLM-style factor model: logit_ij = b_j + e_j . (W x_i + c), trained on all models.

    ``x_i`` the prompt's standardised features, ``W`` (d, rank) shared by every model, ``e_j`` a
    rank-dim embedding and ``b_j`` a bias per model. With ``aux`` the other models' outcomes on the
    training prompts train ``W`` too (each recorded cell is one example), so a 400-prompt table
    with 17 models gives 6,800 examples for the shared prompt map. ``l2`` penalises W and e.
    """

    name: str = "factor"  # l2 default: 1e-3, the base's
    rank: int = 8

    def _validate(self) -> None:
        if self.rank < 1 or self.l2 < 0 or self.epochs < 1:
            raise ConfigError("factor model needs rank >= 1, l2 >= 0, epochs >= 1")

    def _build(self, prior: np.ndarray) -> Any:
        rank, l2, seed = self.rank, self.l2, self.seed

        def build(torch: Any, d: int, m: int) -> tuple[dict[str, Any], Any, Any]:
            g = torch.Generator().manual_seed(seed)
            params = {
                "W": (torch.randn(d, rank, generator=g) * 0.01).requires_grad_(),
                "c": torch.zeros(rank, requires_grad=True),
                "E": (torch.randn(m, rank, generator=g) * 0.1).requires_grad_(),
                "b": torch.tensor(prior, dtype=torch.float32).requires_grad_(),
            }

            def forward(p: dict[str, Any], x: Any) -> Any:
                return (x @ p["W"] + p["c"]) @ p["E"].T + p["b"]

            def penalty(p: dict[str, Any]) -> Any:
                return l2 * ((p["W"] ** 2).sum() + (p["E"] ** 2).sum())

            return params, forward, penalty

        return build

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        X = self._features(texts)
        w = self._w
        logits = (X @ w["W"] + w["c"]) @ w["E"][: self._m].T + w["b"][: self._m]
        return _sigmoid(logits)


@dataclass
class IRTModel(_SharedStrength):
    """Two-parameter IRT: logit_ij = a_j * (theta_j - d_i), d_i = v . x_i (a prompt's difficulty
    from its text), a_j = softplus(.) > 0 the model's discrimination, theta_j its ability.

    One difficulty axis shared by every model: with ``aux`` all models' outcomes train it.
    """

    l2: float = 1e-2
    name: str = "irt"

    def _validate(self) -> None:
        if self.l2 < 0 or self.epochs < 1:
            raise ConfigError("IRT model needs l2 >= 0 and epochs >= 1")

    def _build(self, prior: np.ndarray) -> Any:
        def build(torch: Any, d: int, m: int) -> tuple[dict[str, Any], Any, Any]:
            params = {
                "v": torch.zeros(d, requires_grad=True),
                "theta": torch.tensor(prior, dtype=torch.float32).requires_grad_(),
                "a_raw": torch.full((m,), 0.5413, requires_grad=True),  # softplus -> 1.0
            }

            def forward(p: dict[str, Any], x: Any) -> Any:
                a = torch.nn.functional.softplus(p["a_raw"])
                return a * (p["theta"] - (x @ p["v"])[:, None])

            def penalty(p: dict[str, Any]) -> Any:
                return self.l2 * (p["v"] ** 2).sum()

            return params, forward, penalty

        return build

    def difficulty(self, texts: Sequence[str]) -> np.ndarray:
        """The predicted difficulty d_i of each prompt (higher = harder for every model)."""
        return np.asarray(self._features(texts) @ self._w["v"])

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        d = self.difficulty(texts)
        a = np.log1p(np.exp(self._w["a_raw"][: self._m]))
        return _sigmoid(a * (self._w["theta"][: self._m] - d[:, None]))


@dataclass
class Ensemble:
    """Mean of the members' logits (each member fitted on the same rows)."""

    members: Sequence[Any]
    name: str = "ensemble"

    def fit(
        self, texts: Sequence[str], Y: np.ndarray, *, aux: np.ndarray | None = None
    ) -> Ensemble:
        if not self.members:
            raise ConfigError("an ensemble needs at least one member")
        for member in self.members:
            member.fit(texts, Y, aux=aux)
        return self

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        return _sigmoid(np.mean([_logit(m.predict(texts)) for m in self.members], axis=0))
