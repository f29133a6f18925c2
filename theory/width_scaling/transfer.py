"""Checks of muP's width behaviour: the coordinate check (how a step's change scales with width) and the
learning-rate sweep across widths (whether the best learning rate transfers), on a tanh teacher.

Yang et al., Tensor Programs V (arXiv:2203.03466) [2], and the released ``mup`` package's coordinate check [3].
The conventions are in the package docstring (``theory.width_scaling``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import as_finite_array
from theory._constraints import (
    Constraint,
    Each,
    Flag,
    Integer,
    MappingOf,
    Options,
    Real,
    Reals,
    constrained,
    record,
)
from theory.width_scaling._base import (
    MAX_LR,
    MAX_WIDTH,
    OPTIMIZERS,
    MLPParams,
    _first_order_change,
    _layers,
    _ParametrizationArg,
    _step_directions,
    _weight_gradients,
    _Widths,
)
from theory.width_scaling.mlp import (
    mlp_forward,
    mlp_init,
    mlp_one_step,
    predicted_update_exponents,
)

__all__ = ["CoordinateCheck", "LRSweep", "coordinate_check", "lr_sweep", "tanh_teacher"]


@dataclass(frozen=True)
@record(
    widths=Each(Integer(1, MAX_WIDTH)),
    optimizer=Options(OPTIMIZERS),
    lr=Real(0.0, lo_open=True),
    rms=MappingOf(Reals(0.0)),
    seed_slopes=MappingOf(Reals()),
    slopes=MappingOf(Real()),
    intervals=MappingOf(Each(Real(allow_inf=True), length=2)),
    predicted=MappingOf(Real()),
    raw_slopes=MappingOf(Real()),
    confidence=Real(0.0, 1.0, lo_open=True, hi_open=True),
)
class CoordinateCheck:
    """RMS change of the last hidden pre-activations and of the output after t = 1..steps steps, per seed and
    width (``rms[key]``: (seeds, len(widths), steps)); the per-seed slopes in n of the first step's change
    (``seed_slopes``), their mean (``slopes``) and its t-interval over seeds at level ``confidence`` (``intervals``:
    (lo, hi)); the plain least-squares slopes (``raw_slopes``); the prediction."""

    widths: tuple[int, ...]
    optimizer: str
    lr: float
    rms: dict[str, NDArray]
    seed_slopes: dict[str, NDArray]
    slopes: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    predicted: dict[str, float]
    raw_slopes: dict[str, float]
    confidence: float


def _t_quantile(dof: int, confidence: float) -> float:
    from scipy.stats import t

    return float(t.ppf(0.5 + confidence / 2, dof))


class _HiddenWidths(Constraint):
    """Hidden widths n to compare: at least 2 distinct integers in [1, MAX_WIDTH], increasing."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> tuple[int, ...]:
        w = _Widths().check([*list(value), 1] if isinstance(value, Sequence | np.ndarray) else value, name, {})[:-1]
        if len(w) < 2 or any(b <= a for a, b in itertools.pairwise(w)):
            raise ValueError(f"{name} must hold at least 2 increasing widths; got {list(w)}")
        return w

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, 64, "64", [64], [128, 64], [0, 64], [64, MAX_WIDTH + 1], [64.0, 128]]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [[1, 2]]


@constrained(
    parametrization=_ParametrizationArg(),
    widths=_HiddenWidths(),
    seeds=Integer(2, 1000, costly=True),
    optimizer=Options(OPTIMIZERS),
    lr=Real(0.0, MAX_LR, lo_open=True),
    steps=Integer(1, 100, costly=True),
    d_in=Integer(1, 1000),
    batch=Integer(1, 10_000, costly=True),
    seed=Integer(0),
    confidence=Real(0.5, 1.0, hi_open=True),
    first_order=Flag(),
)
def coordinate_check(
    parametrization: Any,
    widths: Sequence[int],
    seeds: int = 3,
    optimizer: str = "sgd",
    lr: float = 1e-6,
    steps: int = 1,
    d_in: int = 8,
    batch: int = 8,
    seed: int = 0,
    confidence: float = 0.95,
    first_order: bool = False,
) -> CoordinateCheck:
    """The coordinate check [3]: RMS change of the last hidden pre-activations and of the output of a ReLU MLP
    (d_in, n, n, 1) after one step (and up to ``steps``), against the width n, with log-log slopes over seeds.

    The inputs x ~ N(0, I) (batch, d_in) and a residual r ~ N(0, 1) (batch, 1) are drawn once (from ``seed``) and
    shared by every width and seed; the targets are y = f_0(x) + r, so that the first step's residual is -r whatever
    the network's initial output (which is O(1) and random under SP and NTK: with fixed targets its fluctuations
    would scale every change by a random factor per seed and width). Seed s draws the same standard normals for
    every parametrisation. The default learning rate is small, so that the change is in its first-order regime at every
    width up to 2^14 (the regime ``predicted_update_exponents`` describes; at a practical learning rate a
    blowing-up parametrisation also grows by second-order terms).

    The slope of each seed is fitted as log RMS = s log n + c + d n^(-1/2) when there are 4 widths or more (else
    without d): for exponents on the half-integer grid the two terms of each max in the recursion differ by a
    multiple of 1/2, so the leading finite-width correction is relative O(n^(-1/2)); without it, a parametrisation
    whose sub-leading term is large (NTK or SP with Adam) shows slopes well below the limit over 64..4096. The plain
    least-squares slopes are kept as ``raw_slopes``.

    Parameters
    ----------
    parametrization
        A name of ``PARAMETRIZATIONS``, a ``Parametrization`` or a mapping of exponents.
    widths
        Increasing hidden widths n, at least 2, each in [1, 2^14].
    seeds
        Number of weight draws, >= 2 (for the interval).
    optimizer
        ``"sgd"`` or ``"adam"``.
    lr
        Global learning rate in (0, 1e6].
    steps
        Steps to record (the slopes use the first).
    d_in, batch
        Input dimension and batch size (width-independent).
    seed
        Integer >= 0 for the data and the weight draws.
    confidence
        Level of the t-interval over seeds, in [0.5, 1) (1 - 0.05/m for m simultaneous checks, say).
    first_order
        If True, the change is the exact first-order term lr x (derivative along the step), by forward-mode
        differentiation, instead of the difference of two forward passes (which loses a change below ~1e-13 of the
        quantity to rounding: for parametrisations whose layers differ by many powers of n, no single learning
        rate keeps every layer's change both first-order and above rounding); ``steps`` is then 1.

    Returns
    -------
    result : CoordinateCheck

    Raises
    ------
    ValueError, TypeError
        If an argument is malformed (named in the message), or the steps overflow.

    Examples
    --------
    >>> r = coordinate_check("sp", [64, 128, 256, 512], seeds=3, batch=16)
    >>> r.predicted
    {'hidden': 0.5, 'output': 1.0}
    >>> all(lo <= r.predicted[k] <= hi for k, (lo, hi) in r.intervals.items())
    True
    """
    data = np.random.default_rng([seed, 0])
    x = data.standard_normal((batch, d_in))
    r = data.standard_normal((batch, 1))
    steps = 1 if first_order else steps
    rms = {k: np.zeros((seeds, len(widths), steps)) for k in ("hidden", "output")}
    for s in range(seeds):
        for j, n in enumerate(widths):
            p0 = mlp_init((d_in, n, n, 1), parametrization, np.random.default_rng([seed, 1, s, n]))
            f0 = mlp_forward(p0, x)
            y = f0.output + r
            if first_order:
                dh, df = _first_order_change(p0, _step_directions(p0, x, y, optimizer, 0.0), x)
                rms["hidden"][s, j, 0] = lr * np.sqrt(np.mean(dh**2))
                rms["output"][s, j, 0] = lr * np.sqrt(np.mean(df**2))
                continue
            p = p0
            for t in range(steps):
                p = mlp_one_step(p, x, y, lr, optimizer)
                ft = mlp_forward(p, x)
                rms["hidden"][s, j, t] = np.sqrt(np.mean((ft.preactivations[-1] - f0.preactivations[-1]) ** 2))
                rms["output"][s, j, t] = np.sqrt(np.mean((ft.output - f0.output) ** 2))
    nn = np.asarray(widths, dtype=float)
    logn = np.log(nn)
    design = np.c_[logn, np.ones_like(logn)] if len(nn) < 4 else np.c_[logn, np.ones_like(logn), nn**-0.5]
    seed_slopes, slopes, intervals, raw = {}, {}, {}, {}
    tq = _t_quantile(seeds - 1, confidence)
    for k, r in rms.items():
        with np.errstate(divide="ignore"):
            logr = np.log(r[:, :, 0])
        if not np.all(np.isfinite(logr)):  # a change of exactly 0 (every unit dead) has no slope
            n0 = widths[int(np.argmax(~np.all(np.isfinite(logr), axis=0)))]
            raise ValueError(
                f"widths, lr: the {k} change is exactly 0 at width {n0} (every ReLU unit dead at that width, or a "
                f"change below rounding at lr = {lr:g}: use a larger lr or first_order=True); no slope"
            )
        sl = np.linalg.lstsq(design, logr.T, rcond=None)[0][0]
        raw[k] = float(np.polyfit(logn, logr.T, 1)[0].mean())
        seed_slopes[k] = sl
        half = tq * sl.std(ddof=1) / math.sqrt(seeds)
        slopes[k] = float(sl.mean())
        intervals[k] = (float(sl.mean() - half), float(sl.mean() + half))
    return CoordinateCheck(
        tuple(widths), optimizer, lr, rms, seed_slopes, slopes, intervals,
        predicted_update_exponents(parametrization, optimizer), raw, confidence,
    )  # fmt: skip


@constrained(n_samples=Integer(1, 100_000, costly=True), d_in=Integer(1, 1000), seed=Integer(0))
def tanh_teacher(n_samples: int = 128, d_in: int = 8, seed: int = 0) -> tuple[NDArray, NDArray]:
    """A fixed synthetic regression: x ~ N(0, I_d), y = tanh(2 u'x) with u a random unit vector; (x, y (B, 1)).

    Parameters
    ----------
    n_samples, d_in
        Sample size and input dimension.
    seed
        Integer >= 0.

    Returns
    -------
    x, y : ndarray

    Raises
    ------
    ValueError, TypeError
        If an argument is malformed (named in the message).

    Examples
    --------
    >>> x, y = tanh_teacher(16, 4)
    >>> x.shape, y.shape, bool(np.all(np.abs(y) < 1))
    ((16, 4), (16, 1), True)
    """
    rng = np.random.default_rng([seed, 2])
    u = rng.standard_normal(d_in)
    x = rng.standard_normal((n_samples, d_in))
    return x, np.tanh(2.0 * x @ (u / np.linalg.norm(u)))[:, None]


@dataclass(frozen=True)
@record(
    widths=Each(Integer(1, MAX_WIDTH)),
    log2_lrs=Reals(),
    steps=Integer(1),
    loss=Reals(0.0, allow_inf=True),
    best_log2_lr=Reals(),
)
class LRSweep:
    """Training loss after ``steps`` full-batch SGD steps, per width and log2 learning rate, averaged over seeds
    (``loss``: (len(widths), len(log2_lrs)); inf where training diverged), and the best log2 learning rate per width
    (``best_log2_lr``; the first of equal losses)."""

    widths: tuple[int, ...]
    log2_lrs: NDArray
    steps: int
    loss: NDArray
    best_log2_lr: NDArray


class _Log2Grid(Constraint):
    """An increasing grid of log2 learning rates, at least 3 points, each in [-40, log2(MAX_LR)]."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> NDArray:
        g = as_finite_array(value, name, ndim=(1,))
        if len(g) < 3 or np.any(np.diff(g) <= 0) or g.min() < -40 or g.max() > math.log2(MAX_LR):
            raise ValueError(
                f"{name} must be an increasing grid of at least 3 log2 learning rates in [-40, "
                f"{math.log2(MAX_LR):.1f}]; got {g.tolist()[:6]}"
            )
        return g

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, "x", 1.0, [0.0, 1.0], [1.0, 0.0, 2.0], [math.nan, 0.0, 1.0], [-50.0, 0.0, 1.0], [0, 1, 99]]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [[-40.0, -39.0, -38.0], [16.0, 18.0, 19.9]]


@constrained(
    parametrization=_ParametrizationArg(),
    widths=_HiddenWidths(),
    log2_lrs=_Log2Grid(),
    steps=Integer(1, 10_000, costly=True),
    seeds=Integer(1, 100, costly=True),
    n_samples=Integer(1, 100_000, costly=True),
    d_in=Integer(1, 1000),
    seed=Integer(0),
)
def lr_sweep(
    parametrization: Any,
    widths: Sequence[int],
    log2_lrs: ArrayLike,
    steps: int = 50,
    seeds: int = 2,
    n_samples: int = 128,
    d_in: int = 8,
    seed: int = 0,
) -> LRSweep:
    """Full-batch SGD on ``tanh_teacher`` for ``steps`` steps over a grid of learning rates, per width (a ReLU MLP
    (d_in, n, n, 1)), vectorised over the learning rates; the final training loss (1/(2B)) sum (f - y)^2.

    Under muP the best learning rate is stable across widths; under SP (one global rate) it falls like 1/n, since the
    output's first-order change per unit rate grows like n (``predicted_update_exponents``). A run whose loss
    overflows or exceeds 1e6 times its initial value counts as diverged (loss inf) and stops.

    Parameters
    ----------
    parametrization
        A name of ``PARAMETRIZATIONS``, a ``Parametrization`` or a mapping of exponents.
    widths
        Increasing hidden widths n, at least 2.
    log2_lrs
        Increasing grid of log2 global learning rates, at least 3.
    steps, seeds, n_samples, d_in
        Steps, weight draws (averaged), teacher sample size and input dimension.
    seed
        Integer >= 0 (the teacher and the weights).

    Returns
    -------
    result : LRSweep

    Raises
    ------
    ValueError, TypeError
        If an argument is malformed (named in the message).

    Examples
    --------
    >>> r = lr_sweep("mup", [32, 64], np.arange(-4.0, 3.0), steps=20, seeds=1)
    >>> r.loss.shape, bool(np.all(np.isfinite(r.loss[:, 0])))
    ((2, 7), True)
    """
    x, y = tanh_teacher(n_samples, d_in, seed)
    lrs = 2.0 ** np.asarray(log2_lrs)
    G = len(lrs)
    loss = np.zeros((len(widths), G))
    for j, n in enumerate(widths):
        acc = np.zeros(G)
        for s in range(seeds):
            p0 = mlp_init((d_in, n, n, 1), parametrization, np.random.default_rng([seed, 3, s, n]))
            acc += _train_many(p0, x, y, lrs, steps)
        loss[j] = acc / seeds
    best = np.asarray(log2_lrs)[np.argmin(loss, axis=1)]
    return LRSweep(tuple(widths), np.asarray(log2_lrs, dtype=float), steps, loss, best)


def _train_many(params: MLPParams, x: NDArray, y: NDArray, lrs: NDArray, steps: int) -> NDArray:
    """``steps`` SGD steps from ``params`` for every learning rate at once (weights stacked along a leading axis);
    the final losses, inf for runs that diverged."""
    G, B = len(lrs), len(x)
    W = [np.repeat(w[None], G, axis=0) for w in params.weights]
    m, sc = params.multipliers, params.lr_scale["sgd"]
    alive = np.ones(G, bool)
    final = np.full(G, np.inf)
    loss0 = None
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps + 1):
            idx = np.flatnonzero(alive)
            if not len(idx):
                break
            hs, acts, h = _layers([w[idx] for w in W], m, np.broadcast_to(x, (len(idx), *x.shape)))
            r = h - y[None]
            cur = 0.5 * np.mean(np.sum(r**2, axis=2), axis=1)
            if loss0 is None:
                loss0 = cur.copy()
            bad = ~np.isfinite(cur) | (cur > 1e6 * loss0[idx])
            final[idx] = np.where(bad, np.inf, cur)
            alive[idx[bad]] = False
            if t == steps:
                break
            ok = ~bad
            idx = idx[ok]
            grads = _weight_gradients([w[idx] for w in W], m, [h_[ok] for h_ in hs], [a_[ok] for a_ in acts], r[ok] / B)
            for li, grad_w in enumerate(grads):
                W[li][idx] -= (lrs[idx] * sc[li])[:, None, None] * grad_w
    return final
