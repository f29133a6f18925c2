"""Shared by the modules of ``theory.ldr`` (private module; its names are not re-exported)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["margin_shifted"]


def margin_shifted(f: NDArray, y: NDArray, margin: float) -> NDArray:
    """a_k = c 1[k != y] + f_k - f_y per row of checked scores f (m, K) and labels y (m,)."""
    rows = np.arange(len(y))
    a = margin + f - f[rows, y][:, None]
    a[rows, y] = 0.0
    return a
