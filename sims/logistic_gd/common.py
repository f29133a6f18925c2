"""Helpers shared by the sims of one area: logistic regression with large steps and the perceptron limit.

Public, so that each sim module imports them by name; nothing here is a sim.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from theory.logistic_gd import (
    lr_gd,
)

AREA = "Logistic regression, large steps and the perceptron"


def degenerate_dataset() -> tuple[NDArray, NDArray]:
    """Separable data violating Assumption 3.1: the perceptron's first iterate has a zero margin.

    Signed points (1, 0) and (-1, 1): theta_1 = (0, 1/4), so y_1 a_1^T theta_1 = 0 exactly. LR+GD then weighs
    that point by sigma(0) = 1/2 for every gamma, the perceptron by 1.
    """
    return np.array([[1.0, 0.0], [-1.0, 1.0]]), np.array([1.0, 1.0])


def iterations_to_separate(A: NDArray, y: NDArray, gamma: float, max_iters: int, normalized: bool = False) -> int:
    """First t with all margins positive under (Normalized) LR+GD, or -1 if not within max_iters.

    Runs in doubling chunks, so an early separation costs little and memory stays O(chunk x d).
    """
    theta = np.zeros(A.shape[1])
    done, chunk = 0, 32
    while done < max_iters:
        k = min(chunk, max_iters - done)
        p = lr_gd(A, y, gamma, k, theta0=theta, normalized=normalized)
        if p.first_separated is not None:
            return done + p.first_separated
        theta, done, chunk = p.iterates[-1], done + k, chunk * 2
    return -1
