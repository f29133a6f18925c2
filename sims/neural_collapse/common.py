"""Helpers shared by the sims of one area: neural collapse in unconstrained-feature models and a real MLP.

Public, so that each sim module imports them by name; nothing here is a sim.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sims.engine.claims import Tol
from theory.neural_collapse import (
    nc_metrics,
)

AREA = "Neural collapse"


METRICS = (
    "nc1",
    "nc2_etf",
    "nc2_orthogonal",
    "nc2_etf_uncentred",
    "nc2_etf_W",
    "nc2_orthogonal_W",
    "nc3",
    "nc3_uncentred",
    "nc4",
)


def metric_vector(H: NDArray, labels: NDArray, W: NDArray, b: NDArray) -> NDArray:
    m = nc_metrics(H, labels, W, b)
    return np.array([np.nan if getattr(m, k) is None else getattr(m, k) for k in METRICS])


def means(H: NDArray, labels: NDArray, K: int) -> NDArray:
    return np.stack([H[:, labels == k].mean(axis=1) for k in range(K)], axis=1)


# one tolerance for every "trained objective equals / is not below a closed form or a reference point" check
OBJ_TOL = Tol(
    1e-9,
    "objective error ~ g^2/lambda near a minimum, g the final gradient norm (1e-12 to 1e-9 in these runs, reported "
    "in the details) and lambda >= 1e-3 the weight decay: below 1e-15, so 1e-9 leaves a wide margin",
)
