"""Shared by the modules of ``theory.ldr`` (private module; its names are not re-exported)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import logsumexp, softmax

__all__ = ["ldr_kl_rows", "ldr_kl_rows_grad", "margin_shifted"]


def margin_shifted(f: NDArray, y: NDArray, margin: float) -> NDArray:
    """a_k = c 1[k != y] + f_k - f_y per row of checked scores f (m, K) and labels y (m,)."""
    rows = np.arange(len(y))
    a = margin + f - f[rows, y][:, None]
    a[rows, y] = 0.0
    return a


def ldr_kl_rows(a: NDArray, lam: ArrayLike) -> NDArray:
    """lambda log((1/K) sum_k exp(a_k / lambda)) per row of shifted scores a (m, K); lam a number or one per row
    (the LDR-KL loss, and the adaptive loss before its penalty)."""
    col = lam[:, None] if np.ndim(lam) else lam
    return lam * (logsumexp(a / col, axis=1) - np.log(a.shape[1]))


def ldr_kl_rows_grad(a: NDArray, y: NDArray, lam: ArrayLike) -> NDArray:
    """softmax(a / lambda) - e_y per row: the gradient of ``ldr_kl_rows`` in the scores."""
    col = lam[:, None] if np.ndim(lam) else lam
    p = softmax(a / col, axis=1)
    p[np.arange(len(y)), y] -= 1.0
    return p
