"""abc-parametrisations of a ReLU MLP: the parametrisation from its exponents, the update exponents it predicts,
and the network's initialisation, forward pass and one optimiser step.

Yang and Hu, Tensor Programs IV (ICML 2021, arXiv:2011.14522) [1]; Yang et al., Tensor Programs V
(arXiv:2203.03466) [2]. The conventions are in the package docstring (``theory.width_scaling``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from theory._constraints import (
    Options,
    Real,
    Seed,
    constrained,
)
from theory.width_scaling._base import (
    MAX_LR,
    OPTIMIZERS,
    Forward,
    MLPParams,
    Parametrization,
    _forward,
    _Inputs,
    _layer_kind,
    _layer_width,
    _ParametrizationArg,
    _Params,
    _step_directions,
    _Triple,
    _Widths,
)

__all__ = ["abc_parametrization", "mlp_forward", "mlp_init", "mlp_one_step", "predicted_update_exponents"]


@constrained(a=_Triple(), b=_Triple(), c=_Triple(), c_adam=_Triple(optional=True))
def abc_parametrization(
    a: ArrayLike, b: ArrayLike, c: ArrayLike, c_adam: ArrayLike | None = None, name: str = "abc"
) -> Parametrization:
    """An abc-parametrisation from its exponents (package docstring): multiplier n^-a, initial standard deviation
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

    Derived here (package docstring: the recursion for p, q and e), for the change as the learning rate tends to 0
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
    chi = 0.0  # an O(1) initial residual (package docstring); p_out is not needed then
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
    per-layer learning rates lr n^-c_l (package docstring).

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
