"""Time LR+GD: 10^4 iterations on n = 10^4, d = 100, ours vs a per-sample Python loop.

Run: python benchmarks/bench_logistic_gd.py [--iters 10000]. The per-sample loop is timed on a few iterations
and extrapolated linearly (it would take far too long in full); both compute the same iterates (checked).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from theory.logistic_gd import lr_gd, planted_margin_dataset


def per_sample_loop(A: np.ndarray, y: np.ndarray, step: float, n_iters: int) -> np.ndarray:
    """The textbook implementation: a Python loop over samples inside the loop over iterations."""
    n, d = A.shape
    theta = np.zeros(d)
    for _ in range(n_iters):
        g = np.zeros(d)
        for i in range(n):
            m = y[i] * float(A[i] @ theta)
            g -= y[i] * A[i] / (1.0 + math.exp(m)) if m < 700 else 0.0
        theta = theta - step * g / n
    return theta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--iters", type=int, default=10_000)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--d", type=int, default=100)
    ap.add_argument("--loop-iters", type=int, default=3)
    args = ap.parse_args()
    A, y = planted_margin_dataset(args.n, args.d, 0.05, 0)
    rows = []
    for normalized in (False, True):
        t0 = time.perf_counter()
        path = lr_gd(A, y, 10.0, args.iters, normalized=normalized)
        rows.append((f"lr_gd (numpy, normalized={normalized})", args.iters, time.perf_counter() - t0))
    t0 = time.perf_counter()
    theta_loop = per_sample_loop(A, y, 10.0, args.loop_iters)
    dt = time.perf_counter() - t0
    ours = lr_gd(A, y, 10.0, args.loop_iters).iterates[-1]
    assert np.allclose(theta_loop, ours, rtol=1e-10, atol=1e-12), "reference and ours disagree"
    rows.append(("per-sample Python loop (extrapolated)", args.iters, dt / args.loop_iters * args.iters))
    print(f"LR+GD, n = {args.n}, d = {args.d}; iterates stored: {path.iterates.shape}")
    print(f"{'implementation':42s} {'iterations':>10s} {'seconds':>10s} {'per iter (ms)':>14s}")
    for name, it, sec in rows:
        print(f"{name:42s} {it:10d} {sec:10.2f} {1e3 * sec / it:14.3f}")
    print(f"speed-up of lr_gd over the per-sample loop: {rows[2][2] / rows[0][2]:.0f}x")


if __name__ == "__main__":
    main()
