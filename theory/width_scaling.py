"""Width scaling: abc-parametrisations of a ReLU MLP, and the maximal update parametrisation (muP).

Yang and Hu, "Feature Learning in Infinite-Width Neural Networks" (Tensor Programs IV, ICML 2021, arXiv:2011.14522)
[1] and Yang et al., "Tensor Programs V: Tuning Large Neural Networks via Zero-Shot Hyperparameter Transfer"
(arXiv:2203.03466) [2]; the released ``mup`` package (microsoft/mup) [3].

Conventions, stated once.

- **Network.** A ReLU MLP with widths (d_in, n_1, ..., n_L, d_out): pre-activations h_1 = W_1 x,
  h_l = W_l relu(h_{l-1}), and output f = W_{L+1} relu(h_L). Layer 1 is the *input* layer (fan-in d_in fixed),
  layers 2..L are *hidden* (fan-in and fan-out grow), layer L+1 is the *output* layer (fan-out d_out fixed). The
  width n of a layer is its fan-out for the input layer and its fan-in otherwise. No biases.
- **abc-parametrisation** [1]: per layer, the effective weight is W_l = n^(-a_l) w_l with trainable w_l initialised
  N(0, sigma_l^2 n^(-2 b_l)), sigma_1 = 1/sqrt(d_in) and sigma_l = 1 otherwise (constants that do not depend on n),
  and the learning rate of w_l is eta n^(-c_l). SGD and Adam have their own c (``c_sgd``, ``c_adam``). The four
  exponent triples (input, hidden, output) are a ``Parametrization``; ``PARAMETRIZATIONS`` holds
  - ``"sp"``: standard: a = 0, b = (0, 1/2, 1/2) (PyTorch's 1/fan_in variance), c = 0 (one global step);
  - ``"ntk"``: a = (0, 1/2, 1/2), b = 0, c = 0 [1];
  - ``"mup"``: muP in the abc form of [1]: a = (-1/2, 0, 1/2), b = 1/2, c_sgd = 0; Adam c = (1/2, 1, 1/2)
    (derived here from the symmetry below and the Table 3 form);
  - ``"mup_table3"``: [2, Table 3] (as reproduced in several released repositories): a = 0; init variance
    1/fan_in, 1/fan_in, 1/fan_in^2, i.e. b = (0, 1/2, 1); SGD learning rate fan_out, 1, 1/fan_in, i.e.
    c_sgd = (-1, 0, 1); Adam learning rate 1, 1/fan_in, 1/fan_in, i.e. c_adam = (0, 1, 1);
  - ``"mup_package"``: the ``mup`` package [3]: ``MuReadout`` divides its input by the width multiplier (a_out = 1)
    and rescales its initial weights by sqrt(width multiplier) (b_out = 0); ``MuSGD`` multiplies the learning rate
    of vector-like parameters (input and readout weights) by the width multiplier (c = -1) and divides that of
    matrix-like ones by the fan-in/fan-out ratio (1 for square hidden layers: c = 0); ``MuAdam`` divides the
    learning rate of matrix-like parameters by the width multiplier (c_adam = (0, 1, 0)). The package measures
    widths relative to a base width n_0, which multiplies every quantity by a constant: exponents are unchanged.
- **The symmetry** (derived here; [1] states it for SGD): (a, b, c) -> (a + theta, b - theta, c - 2 theta) for SGD,
  and (a + theta, b - theta, c - theta) for Adam (whose first step is scale-free: lr sign(gradient) as eps -> 0),
  leaves the network function at initialisation and every training step unchanged: W_l = n^(-(a+b)) sigma z, and
  the SGD change of W_l is n^(-a) times the change of w_l = eta n^(-c) n^(-a) dL/dW_l. The three muP forms are
  related by it layer by layer (table3 -> abc: theta = (-1/2, 0, 1/2); table3 -> package: theta = (0, 0, 1)).
- **One step** of full-batch SGD or Adam on the mean squared error (1/(2B)) sum_b ||f(x_b) - y_b||^2 over a batch of
  B inputs; Adam's first step, with bias correction, is lr g / (|g| + eps), ``adam_eps`` = 0 by default so that the
  symmetry holds exactly (an exact-zero gradient entry, a dead ReLU, gives 0).

**Predicted update exponents** (derived here, for the *first-order* change, learning rate -> 0 at each width, of the
last hidden pre-activations h_L and of the output on the training batch; ``predicted_update_exponents``). Write
entry sizes as powers of n. Forward: p_1 = -(a_1 + b_1), p_l = p_(l-1) + 1/2 - (a_l + b_l) (sums of n random
terms), p_out likewise. The residual f - y at initialisation is taken of size n^chi with chi = 0: the coordinate
check makes it so (its targets are y = f_0(x) + r with a fixed r, so that the residual is -r for every width and
seed); with fixed targets and p_out > 0 the residual grows like n^p_out, which adds p_out to every SGD exponent and
nothing to Adam's. Backward (SGD):
q_L = chi - (a_out + b_out), q_(l-1) = q_l + 1/2 - (a_l + b_l). SGD moves W_l by an effective step
eta n^(gamma_l), gamma_l = -(c_l + 2 a_l), along delta_l x_(l-1)'. Then, with e_l the exponent of the change of h_l,

- e_1 = gamma_1 + q_1 (SGD), -(c_1 + a_1) (Adam: the change is lr sign(.) summed over the fixed d_in inputs);
- e_l = max(A_l, B_l), B_l = e_(l-1) + 1/2 - (a_l + b_l) (W_l times the change of x_(l-1): that change lies along
  W_l' delta_l, and W_l W_l' sums n squared entries coherently), and A_l, the change of W_l times x_(l-1) (x >= 0
  after a ReLU, so the sum over the fan-in is coherent): gamma_l + q_l + 1 + 2 p_(l-1) (SGD), -(c_l + a_l) + 1 +
  p_(l-1) (Adam, entries lr sign(delta_l));
- the output: max(A_out, e_L + 1 - (a_out + b_out)) (the change of x_L lies along W_out': coherent), with
  A_out = gamma_out + chi + 1 + 2 p_L (SGD) or -(c_out + a_out) + 1 + p_L (Adam).

The two terms of each max have the same sign (both move along -delta), so they cannot cancel. Checked for SP, NTK,
muP and for random tables in ``sims/width_scaling``: SGD SP (+1/2, +1), NTK (-1/2, 0), muP (0, 0); Adam SP (+1, +3/2),
muP (0, 0). At a fixed, not small, learning rate a blowing-up parametrisation also grows by second-order terms
(the change of W_out times the change of x_L), which the first-order exponents leave out: SP's Adam output, for
example, grows like n^2 once the hidden change exceeds the activations.

References
----------
.. [1] G. Yang, E. J. Hu, "Feature Learning in Infinite-Width Neural Networks", ICML 2021, arXiv:2011.14522.
.. [2] G. Yang, E. J. Hu, I. Babuschkin, S. Sidor, X. Liu, D. Farhi, N. Ryder, J. Pachocki, W. Chen, J. Gao,
   "Tensor Programs V: Tuning Large Neural Networks via Zero-Shot Hyperparameter Transfer", arXiv:2203.03466.
.. [3] microsoft/mup, ``mup/layer.py`` (``MuReadout``) and ``mup/optim.py`` (``MuSGD``, ``MuAdam``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from theory._checks import as_finite_array
from theory._constraints import Constraint, Flag, Integer, Options, Real, Seed, constrained

__all__ = [
    "LAYERS",
    "MAX_EXPONENT",
    "MAX_WIDTH",
    "OPTIMIZERS",
    "PARAMETRIZATIONS",
    "CoordinateCheck",
    "Forward",
    "LRSweep",
    "MLPParams",
    "Parametrization",
    "abc_parametrization",
    "coordinate_check",
    "lr_sweep",
    "mlp_forward",
    "mlp_init",
    "mlp_one_step",
    "predicted_update_exponents",
    "tanh_teacher",
]

LAYERS = ("input", "hidden", "output")
OPTIMIZERS = ("sgd", "adam")
# Valid ranges, as data. Exponents beyond +-4 put n^(exponent) outside float64's comfortable range at n = 2^14
# (and no parametrisation in use has one beyond +-1); widths to 2^14 keep a hidden weight matrix under 2 GB.
MAX_EXPONENT = 4.0
MAX_WIDTH = 2**14
MAX_LR = 1e6


@dataclass(frozen=True)
class Parametrization:
    """Per-layer width exponents (input, hidden, output) of an abc-parametrisation (module docstring).

    ``a``: multiplier n^-a; ``b``: initial standard deviation n^-b (times sigma_l); ``c_sgd``, ``c_adam``: learning
    rate eta n^-c for SGD and for Adam."""

    name: str
    a: tuple[float, float, float]
    b: tuple[float, float, float]
    c_sgd: tuple[float, float, float]
    c_adam: tuple[float, float, float]

    def __post_init__(self) -> None:
        for f in ("a", "b", "c_sgd", "c_adam"):
            object.__setattr__(self, f, _triple(getattr(self, f), f))
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string; got {type(self.name).__name__}")

    def c(self, optimizer: str) -> tuple[float, float, float]:
        """The learning-rate exponents of ``optimizer`` ("sgd" or "adam")."""
        return self.c_sgd if optimizer == "sgd" else self.c_adam

    def table(self) -> dict[str, dict[str, float]]:
        """layer -> {"a", "b", "c_sgd", "c_adam"}, for display."""
        return {
            layer: {"a": self.a[i], "b": self.b[i], "c_sgd": self.c_sgd[i], "c_adam": self.c_adam[i]}
            for i, layer in enumerate(LAYERS)
        }


def _triple(v: Any, name: str) -> tuple[float, float, float]:
    arr = as_finite_array(v, name)
    if arr.ndim == 0:
        arr = np.full(3, float(arr))
    if arr.shape != (3,):
        raise ValueError(f"{name} must be a number or 3 exponents (input, hidden, output); got shape {arr.shape}")
    if np.any(np.abs(arr) > MAX_EXPONENT):
        raise ValueError(f"{name} must hold exponents in [-{MAX_EXPONENT:g}, {MAX_EXPONENT:g}]; got {arr.tolist()}")
    return tuple(float(x) for x in arr)  # type: ignore[return-value]


PARAMETRIZATIONS: dict[str, Parametrization] = {
    "sp": Parametrization("sp", (0, 0, 0), (0, 0.5, 0.5), (0, 0, 0), (0, 0, 0)),
    "ntk": Parametrization("ntk", (0, 0.5, 0.5), (0, 0, 0), (0, 0, 0), (0, 0, 0)),
    "mup": Parametrization("mup", (-0.5, 0, 0.5), (0.5, 0.5, 0.5), (0, 0, 0), (0.5, 1, 0.5)),
    "mup_table3": Parametrization("mup_table3", (0, 0, 0), (0, 0.5, 1), (-1, 0, 1), (0, 1, 1)),
    "mup_package": Parametrization("mup_package", (0, 0, 1), (0, 0.5, 0), (-1, 0, -1), (0, 1, 0)),
}


class _ParametrizationArg(Constraint):
    """A parametrisation: a name of ``PARAMETRIZATIONS``, a ``Parametrization`` or a mapping with "a", "b" and
    "c" (or "c_sgd"; "c_adam" defaults to c_sgd)."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> Parametrization:
        if isinstance(value, Parametrization):
            return value
        if isinstance(value, str):
            if value not in PARAMETRIZATIONS:
                raise ValueError(f"{name} must be one of {sorted(PARAMETRIZATIONS)} or a table; got {value!r}")
            return PARAMETRIZATIONS[value]
        if isinstance(value, Mapping):
            keys = set(value)
            c_key = "c_sgd" if "c_sgd" in keys else "c"
            if not {"a", "b", c_key} <= keys:
                raise ValueError(f"{name}: a table needs keys 'a', 'b' and 'c' (or 'c_sgd'); got {sorted(keys)}")
            try:
                return Parametrization(
                    str(value.get("name", "table")),
                    value["a"],
                    value["b"],
                    value[c_key],
                    value.get("c_adam", value[c_key]),
                )
            except (TypeError, ValueError) as e:
                raise type(e)(f"{name}: {e}") from None
        raise TypeError(
            f"{name} must be a name, a Parametrization or a mapping of exponents; got {type(value).__name__} "
            f"{value!r:.40}"
        )

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, 1, "no such", {"a": 0}, {"a": 0, "b": 0, "c": [0, 0]}, {"a": math.nan, "b": 0, "c": 0}]


class _Widths(Constraint):
    """Layer widths (d_in, n_1, ..., n_L, d_out): at least 3 integers in [1, MAX_WIDTH]; a tuple of ints."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> tuple[int, ...]:
        if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
            raise TypeError(f"{name} must be a sequence of integers (d_in, n_1, ..., d_out); got {value!r:.40}")
        out = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                raise TypeError(f"{name} must hold integers; got {v!r:.20}")
            if not 1 <= int(v) <= MAX_WIDTH:
                raise ValueError(f"{name} must hold widths in [1, {MAX_WIDTH}]; got {int(v)}")
            out.append(int(v))
        if len(out) < 3:
            raise ValueError(f"{name} must give at least 3 widths (input, one hidden layer, output); got {len(out)}")
        return tuple(out)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, 4, "abc", [4, 8], [4, 0, 1], [4, 8.0, 1], [4, MAX_WIDTH + 1, 1], [4, True, 1]]

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [[1, 1, 1], [2, 64, 64, 1]]


class _Params(Constraint):
    """An ``MLPParams`` (from ``mlp_init``)."""

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> MLPParams:
        if not isinstance(value, MLPParams):
            raise TypeError(f"{name} must be MLPParams (from mlp_init); got {type(value).__name__} {value!r:.40}")
        return value

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, 1, "params", [np.ones((2, 2))]]


class _Inputs(Constraint):
    """A batch of inputs (B, d_in) for the network ``params`` (declared before); finite floats."""

    def __init__(self, of: str = "params", cols: str = "d_in") -> None:
        self.of, self.cols = of, cols

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> NDArray:
        x = as_finite_array(value, name, ndim=(2,))
        params = checked[self.of]
        d = params.widths[0] if self.cols == "d_in" else params.widths[-1]
        if x.shape[1] != d or x.shape[0] < 1:
            raise ValueError(f"{name} must have shape (B, {d}) with B >= 1 for this network; got {x.shape}")
        return x

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [None, "x", np.ones(3), np.ones((2, 99)), np.zeros((0, 1)), np.array([[math.nan]]), [[1.0], [2.0, 3.0]]]


@dataclass(frozen=True)
class MLPParams:
    """A ReLU MLP's trainable weights w_l (fan_out, fan_in), their multipliers n^-a_l, their learning-rate scales
    n^-c_l for both optimisers, the widths and the parametrisation they come from."""

    widths: tuple[int, ...]
    parametrization: Parametrization
    weights: tuple[NDArray, ...] = field(repr=False)
    multipliers: tuple[float, ...]
    lr_scale: dict[str, tuple[float, ...]]


@dataclass(frozen=True)
class Forward:
    """Pre-activations h_1..h_L (each (B, n_l)) and the output f (B, d_out) of one forward pass."""

    preactivations: tuple[NDArray, ...]
    output: NDArray


def _layer_kind(li: int, n_layers: int) -> int:
    return 0 if li == 0 else (2 if li == n_layers - 1 else 1)


def _layer_width(widths: tuple[int, ...], li: int, n_layers: int) -> int:
    """The width n of layer l: its fan-out for the input layer, its fan-in otherwise."""
    return widths[1] if li == 0 else widths[li]


class _Triple(Constraint):
    """A number or three exponents (input, hidden, output) in [-MAX_EXPONENT, MAX_EXPONENT]."""

    def __init__(self, optional: bool = False) -> None:
        self.optional = optional

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> tuple[float, float, float] | None:
        if value is None and self.optional:
            return None
        if isinstance(value, bool | str | bytes) or value is None:
            raise TypeError(f"{name} must be a number or 3 exponents; got {type(value).__name__} {value!r:.40}")
        return _triple(value, name)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        out = [*([] if self.optional else [None]), "1", True, math.nan, [0.0, 0.0], MAX_EXPONENT + 1, [0, 0, -9.0]]
        return out

    def extremes(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return [MAX_EXPONENT * 0.25, [-0.5, 0.0, 0.5]]


@constrained(a=_Triple(), b=_Triple(), c=_Triple(), c_adam=_Triple(optional=True))
def abc_parametrization(
    a: ArrayLike, b: ArrayLike, c: ArrayLike, c_adam: ArrayLike | None = None, name: str = "abc"
) -> Parametrization:
    """An abc-parametrisation from its exponents (module docstring): multiplier n^-a, initial standard deviation
    n^-b (times sigma_l), learning rate eta n^-c.

    Parameters
    ----------
    a, b, c
        Each a number (every layer) or 3 exponents (input, hidden, output) in [-4, 4]; ``c`` is SGD's.
    c_adam
        Adam's learning-rate exponents (default: ``c``).
    name
        A label.

    Returns
    -------
    parametrization : Parametrization

    Raises
    ------
    ValueError, TypeError
        If an exponent is not finite or outside [-4, 4], or a triple has the wrong length (named in the message).

    Examples
    --------
    >>> p = abc_parametrization(a=(-0.5, 0, 0.5), b=0.5, c=0)  # muP as in Tensor Programs IV
    >>> p.a, p.b
    ((-0.5, 0.0, 0.5), (0.5, 0.5, 0.5))
    >>> predicted_update_exponents(p)
    {'hidden': 0.0, 'output': 0.0}
    """
    return Parametrization(str(name), a, b, c, c if c_adam is None else c_adam)


@constrained(parametrization=_ParametrizationArg(), optimizer=Options(OPTIMIZERS))
def predicted_update_exponents(parametrization: Any, optimizer: str = "sgd") -> dict[str, float]:
    """Predicted log-log slopes in n of the RMS first-order change, after one step, of the last hidden
    pre-activations (``"hidden"``) and of the output (``"output"``) of a ReLU MLP with 2 hidden layers.

    Derived here (module docstring: the recursion for p, q and e), for the change as the learning rate tends to 0
    at each width, on the training batch, with the mean squared error; for a width-independent input dimension,
    output dimension and batch.

    Parameters
    ----------
    parametrization
        A name of ``PARAMETRIZATIONS``, a ``Parametrization`` or a mapping of exponents.
    optimizer
        ``"sgd"`` or ``"adam"`` (first step).

    Returns
    -------
    exponents : dict
        {"hidden": e_L, "output": e_out}.

    Raises
    ------
    ValueError, TypeError
        If an argument is not a parametrisation or an optimiser name (named in the message).

    Examples
    --------
    >>> predicted_update_exponents("sp")
    {'hidden': 0.5, 'output': 1.0}
    >>> predicted_update_exponents("ntk")
    {'hidden': -0.5, 'output': 0.0}
    >>> predicted_update_exponents("mup_table3", optimizer="adam")
    {'hidden': 0.0, 'output': 0.0}
    """
    P = parametrization
    a, b, c = P.a, P.b, P.c(optimizer)
    L = 2  # hidden layers: h_1 (input layer's output), h_2 (the last hidden pre-activations)
    kinds = [0] + [1] * (L - 1) + [2]  # input, hidden..., output
    ab = [a[k] + b[k] for k in kinds]
    p = [-ab[0]]
    for li in range(1, L):
        p.append(p[-1] + 0.5 - ab[li])
    p_out = p[-1] + 0.5 - ab[L]
    chi = 0.0  # an O(1) initial residual (module docstring); p_out is not needed then
    del p_out
    q = [0.0] * L
    q[L - 1] = chi - ab[L]
    for li in range(L - 1, 0, -1):
        q[li - 1] = q[li] + 0.5 - ab[li]
    gamma = [-(c[k] + 2 * a[k]) for k in kinds]
    adam_step = [-(c[k] + a[k]) for k in kinds]
    sgd = optimizer == "sgd"
    e = [gamma[0] + q[0] if sgd else adam_step[0]]
    for li in range(1, L):
        A = gamma[li] + q[li] + 1 + 2 * p[li - 1] if sgd else adam_step[li] + 1 + p[li - 1]
        e.append(max(A, e[-1] + 0.5 - ab[li]))
    A_out = gamma[L] + chi + 1 + 2 * p[L - 1] if sgd else adam_step[L] + 1 + p[L - 1]
    e_out = max(A_out, e[-1] + 1 - ab[L])
    return {"hidden": float(e[-1]) + 0.0, "output": float(e_out) + 0.0}


@constrained(widths=_Widths(), parametrization=_ParametrizationArg(), rng=Seed())
def mlp_init(widths: Sequence[int], parametrization: Any, rng: Any = None) -> MLPParams:
    """Initial weights of a ReLU MLP under an abc-parametrisation: w_l ~ N(0, sigma_l^2 n^(-2 b_l)).

    Parameters
    ----------
    widths
        (d_in, n_1, ..., n_L, d_out), each in [1, 2^14], at least one hidden layer.
    parametrization
        A name of ``PARAMETRIZATIONS``, a ``Parametrization`` or a mapping of exponents.
    rng
        Seed or Generator. The same seed draws the same standard normals z_l for every parametrisation, so that
        parametrisations related by the abc symmetry give the same network.

    Returns
    -------
    params : MLPParams

    Raises
    ------
    ValueError, TypeError
        If an argument is malformed (named in the message).

    Examples
    --------
    >>> p = mlp_init([4, 64, 64, 1], "mup", rng=0)
    >>> [w.shape for w in p.weights]
    [(64, 4), (64, 64), (1, 64)]
    """
    P = parametrization
    n_layers = len(widths) - 1
    weights, mult, lr_sgd, lr_adam = [], [], [], []
    for li in range(n_layers):
        k = _layer_kind(li, n_layers)
        n = _layer_width(widths, li, n_layers)
        sigma = 1.0 / math.sqrt(widths[0]) if li == 0 else 1.0
        z = rng.standard_normal((widths[li + 1], widths[li]))
        weights.append(z * (sigma * n ** (-P.b[k])))
        mult.append(n ** (-P.a[k]))
        lr_sgd.append(n ** (-P.c_sgd[k]))
        lr_adam.append(n ** (-P.c_adam[k]))
    return MLPParams(tuple(widths), P, tuple(weights), tuple(mult), {"sgd": tuple(lr_sgd), "adam": tuple(lr_adam)})


def _layers(
    weights: Sequence[NDArray], multipliers: Sequence[float], x: NDArray
) -> tuple[list[NDArray], list[NDArray], NDArray]:
    """Pre-activations h_1..h_L, the layers' inputs x, relu(h_1), ... and the output. The weights may carry a
    leading axis (a stack of networks, one per learning rate in ``lr_sweep``), with ``x`` stacked to match."""
    hs, xs = [], [x]
    act = x
    for li, (w, m) in enumerate(zip(weights, multipliers, strict=True)):
        h = (act @ np.swapaxes(w, -1, -2)) * m
        if li == len(weights) - 1:
            return hs, xs, h
        hs.append(h)
        act = np.maximum(h, 0.0)
        xs.append(act)
    raise AssertionError  # pragma: no cover


def _forward(params: MLPParams, x: NDArray) -> tuple[list[NDArray], list[NDArray], NDArray]:
    return _layers(params.weights, params.multipliers, x)


def _weight_gradients(
    weights: Sequence[NDArray], multipliers: Sequence[float], hs: list[NDArray], xs: list[NDArray], delta: NDArray
) -> list[NDArray]:
    """dL/dw_l = n^-a_l dL/dW_l for every layer, by backpropagation from delta = dL/df (batched like ``_layers``)."""
    out: list[NDArray] = [np.empty(0)] * len(weights)
    for li in range(len(weights) - 1, -1, -1):
        m = multipliers[li]
        out[li] = m * (np.swapaxes(delta, -1, -2) @ xs[li])
        if li > 0:
            delta = (delta @ weights[li]) * m * (hs[li - 1] > 0)
    return out


@constrained(params=_Params(), x=_Inputs())
def mlp_forward(params: MLPParams, x: ArrayLike) -> Forward:
    """One forward pass: pre-activations h_l = W_l relu(h_(l-1)) (W_l = n^-a w_l) and the output, for a batch x.

    Parameters
    ----------
    params
        From ``mlp_init``.
    x
        Inputs, (B, d_in).

    Returns
    -------
    forward : Forward

    Raises
    ------
    ValueError, TypeError
        If ``x`` does not fit the network or is not finite (named in the message), or if the forward pass overflows.

    Examples
    --------
    >>> p = mlp_init([2, 8, 8, 1], "sp", rng=0)
    >>> mlp_forward(p, np.ones((3, 2))).output.shape
    (3, 1)
    """
    hs, _, f = _forward(params, x)
    if not np.all(np.isfinite(f)):
        raise ValueError("params: the forward pass overflows float64 (exponents too large for this width)")
    return Forward(tuple(hs), f)


def _step_directions(params: MLPParams, x: NDArray, y: NDArray, optimizer: str, adam_eps: float) -> list[NDArray]:
    """The change of each w_l per unit global learning rate in one step: -n^-c_l dL/dw_l (SGD) or
    -n^-c_l g / (|g| + eps) (Adam's first step), computed directly (not as a difference of weights, which would lose
    a small step to rounding)."""
    hs, xs, f = _forward(params, x)
    grads = _weight_gradients(params.weights, params.multipliers, hs, xs, (f - y) / len(x))
    out = []
    for grad_w, scale in zip(grads, params.lr_scale[optimizer], strict=True):
        if optimizer == "adam":
            grad_w = np.divide(grad_w, np.abs(grad_w) + adam_eps, out=np.zeros_like(grad_w), where=grad_w != 0)
        out.append(-scale * grad_w)
    return out


def _first_order_change(params: MLPParams, directions: list[NDArray], x: NDArray) -> tuple[NDArray, NDArray]:
    """The first-order change per unit learning rate of the last pre-activations and of the output along the step
    directions: forward-mode differentiation (dh_l = dW_l x_(l-1) + W_l relu'(h_(l-1)) dh_(l-1)), exact, without the
    cancellation of a difference of two forward passes."""
    act, dact = x, np.zeros_like(x)
    n_layers = len(params.weights)
    dh_last = None
    for li in range(n_layers):
        m = params.multipliers[li]
        h = (act @ params.weights[li].T) * m
        dh = (act @ directions[li].T + dact @ params.weights[li].T) * m
        if li < n_layers - 1:
            dh_last = dh
            act, dact = np.maximum(h, 0.0), dh * (h > 0)
        else:
            return dh_last, dh
    raise AssertionError  # pragma: no cover


@constrained(
    params=_Params(),
    x=_Inputs(),
    y=_Inputs(cols="d_out"),
    lr=Real(0.0, MAX_LR, lo_open=True),
    optimizer=Options(OPTIMIZERS),
    adam_eps=Real(0.0, 1.0),
)
def mlp_one_step(
    params: MLPParams, x: ArrayLike, y: ArrayLike, lr: float, optimizer: str = "sgd", adam_eps: float = 0.0
) -> MLPParams:
    """One full-batch step of SGD or Adam on (1/(2B)) sum_b ||f(x_b) - y_b||^2, with the parametrisation's
    per-layer learning rates lr n^-c_l (module docstring).

    Parameters
    ----------
    params
        From ``mlp_init`` (or a previous step).
    x, y
        Inputs (B, d_in) and targets (B, d_out).
    lr
        Global learning rate eta in (0, 1e6].
    optimizer
        ``"sgd"``, or ``"adam"``: Adam's first step from zero moments, lr g / (|g| + eps) after bias correction
        (whatever beta1, beta2).
    adam_eps
        Adam's eps in [0, 1] (0: the scale-free limit, in which the abc symmetry is exact).

    Returns
    -------
    params : MLPParams
        The updated weights (the multipliers and learning-rate scales are unchanged).

    Raises
    ------
    ValueError, TypeError
        If an argument is malformed (named in the message), or if the step overflows float64.

    Examples
    --------
    >>> p = mlp_init([2, 16, 16, 1], "mup", rng=0)
    >>> x, y = np.ones((4, 2)), np.zeros((4, 1))
    >>> q = mlp_one_step(p, x, y, lr=0.1)
    >>> bool(np.all(np.abs(mlp_forward(q, x).output) < np.abs(mlp_forward(p, x).output)))  # towards the target 0
    True
    """
    directions = _step_directions(params, x, y, optimizer, adam_eps)
    new = []
    for li, (w, d) in enumerate(zip(params.weights, directions, strict=True)):
        new.append(w + lr * d)
        if not np.all(np.isfinite(new[li])):
            raise ValueError("lr: the step overflows float64 for these parameters")
    return MLPParams(params.widths, params.parametrization, tuple(new), params.multipliers, params.lr_scale)


# ---------------------------------------------------------------------------------------------------------
# Coordinate check and learning-rate sweep
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
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
