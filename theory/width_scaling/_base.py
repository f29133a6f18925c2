"""Shared by the width-scaling modules: valid ranges, the parametrisation and network records, the argument
constraints on them, and the forward and backward passes of the ReLU MLP.

The conventions (network, parametrisation, optimisers) are in the package docstring (``theory.width_scaling``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from theory._checks import as_finite_array
from theory._constraints import (
    Constraint,
    Each,
    InstanceOf,
    MappingOf,
    Real,
    Tensor,
    record,
)

LAYERS = ("input", "hidden", "output")
OPTIMIZERS = ("sgd", "adam")
# Valid ranges, as data. Exponents beyond +-4 put n^(exponent) outside float64's comfortable range at n = 2^14
# (and no parametrisation in use has one beyond +-1); widths to 2^14 keep a hidden weight matrix under 2 GB.
MAX_EXPONENT = 4.0
MAX_WIDTH = 2**14
MAX_LR = 1e6


def _triple(v: Any, name: str) -> tuple[float, float, float]:
    arr = as_finite_array(v, name)
    if arr.ndim == 0:
        arr = np.full(3, float(arr))
    if arr.shape != (3,):
        raise ValueError(f"{name} must be a number or 3 exponents (input, hidden, output); got shape {arr.shape}")
    if np.any(np.abs(arr) > MAX_EXPONENT):
        raise ValueError(f"{name} must hold exponents in [-{MAX_EXPONENT:g}, {MAX_EXPONENT:g}]; got {arr.tolist()}")
    return tuple(float(x) for x in arr)  # type: ignore[return-value]


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


@dataclass(frozen=True)
@record(name=InstanceOf(str), a=_Triple(), b=_Triple(), c_sgd=_Triple(), c_adam=_Triple())
class Parametrization:
    """Per-layer width exponents (input, hidden, output) of an abc-parametrisation (package docstring).

    ``a``: multiplier n^-a; ``b``: initial standard deviation n^-b (times sigma_l); ``c_sgd``, ``c_adam``: learning
    rate eta n^-c for SGD and for Adam."""

    name: str
    a: tuple[float, float, float]
    b: tuple[float, float, float]
    c_sgd: tuple[float, float, float]
    c_adam: tuple[float, float, float]

    def c(self, optimizer: str) -> tuple[float, float, float]:
        """The learning-rate exponents of ``optimizer`` ("sgd" or "adam")."""
        return self.c_sgd if optimizer == "sgd" else self.c_adam

    def table(self) -> dict[str, dict[str, float]]:
        """layer -> {"a", "b", "c_sgd", "c_adam"}, for display."""
        return {
            layer: {"a": self.a[i], "b": self.b[i], "c_sgd": self.c_sgd[i], "c_adam": self.c_adam[i]}
            for i, layer in enumerate(LAYERS)
        }


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


class _PerLayer(Constraint):
    """One value per weight matrix of the network whose ``widths`` are declared before (len(widths) - 1 of them),
    each satisfying ``inner``; a tuple."""

    def __init__(self, inner: Constraint) -> None:
        self.inner = inner

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> tuple[Any, ...]:
        return Each(self.inner, length=len(checked["widths"]) - 1).check(value, name, checked)

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        return Each(self.inner, length=len(valid["widths"]) - 1).invalid(valid, name)


class _LayerWeights(_PerLayer):
    """The weight matrices w_l of shape (widths[l + 1], widths[l]), finite floats; a tuple of float arrays (a
    matrix of another shape would otherwise meet numpy's broadcasting message in the forward pass)."""

    def __init__(self) -> None:
        super().__init__(Tensor(2))

    def check(self, value: Any, name: str, checked: dict[str, Any]) -> tuple[Any, ...]:
        weights = super().check(value, name, checked)
        w = checked["widths"]
        for i, wl in enumerate(weights):
            if wl.shape != (w[i + 1], w[i]):
                raise ValueError(f"{name}[{i}] must have shape {(w[i + 1], w[i])} for widths {w}; got {wl.shape}")
        return weights

    def invalid(self, valid: dict[str, Any], name: str | None = None) -> list[Any]:
        given = list(valid[name])
        return [
            *super().invalid(valid, name),
            [given[0].T, *given[1:]]
            if given[0].shape[0] != given[0].shape[1]
            else [np.zeros((given[0].shape[0] + 1, given[0].shape[1])), *given[1:]],
        ]


@dataclass(frozen=True)
@record(
    widths=_Widths(),
    parametrization=InstanceOf(Parametrization),
    weights=_LayerWeights(),
    multipliers=_PerLayer(Real(0.0, lo_open=True)),
    lr_scale=MappingOf(_PerLayer(Real(0.0, lo_open=True))),
)
class MLPParams:
    """A ReLU MLP's trainable weights w_l (fan_out, fan_in), their multipliers n^-a_l, their learning-rate scales
    n^-c_l for both optimisers, the widths and the parametrisation they come from."""

    widths: tuple[int, ...]
    parametrization: Parametrization
    weights: tuple[NDArray, ...] = field(repr=False)
    multipliers: tuple[float, ...]
    lr_scale: dict[str, tuple[float, ...]]


@dataclass(frozen=True)
@record(preactivations=Each(Tensor(2)), output=Tensor(2))
class Forward:
    """Pre-activations h_1..h_L (each (B, n_l)) and the output f (B, d_out) of one forward pass."""

    preactivations: tuple[NDArray, ...]
    output: NDArray


def _layer_kind(li: int, n_layers: int) -> int:
    return 0 if li == 0 else (2 if li == n_layers - 1 else 1)


def _layer_width(widths: tuple[int, ...], li: int, n_layers: int) -> int:
    """The width n of layer l: its fan-out for the input layer, its fan-in otherwise."""
    return widths[1] if li == 0 else widths[li]


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
