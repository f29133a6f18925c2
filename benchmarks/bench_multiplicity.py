"""Viable prediction ranges on breast cancer (n = 569, d = 30), l2 = 1e-2, eps = 0.01: fast vs cvxpy.

Run: python benchmarks/bench_multiplicity.py [--cvxpy-points 569]. Both methods solve the same programs (the
project's formulation: (l2/2)||w||^2, unpenalised intercept) in one run; accuracy is measured against the
independent Lagrangian-path reference on a sample of points. ``../shared/anchors/multiplicity_bench.py`` times
the anchor's own formulation (penalised intercept, l2 ||w||^2); run it beside this for the reference numbers.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sims.multiplicity.common import lagrangian_path_extreme, load_dataset
from theory.multiplicity import fit_logistic, level_set_threshold, viable_logit_range


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cvxpy-points", type=int, default=569)
    ap.add_argument("--reference-points", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    X, y = load_dataset("breast_cancer")
    l2, eps = 1e-2, 0.01
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        lo, hi = viable_logit_range(X, y, X, eps, l2)
        times.append(time.perf_counter() - t0)
    m = min(args.cvxpy_points, len(X))
    t0 = time.perf_counter()
    clo, chi = viable_logit_range(X, y, X[:m], eps, l2, method="cvxpy")
    t_cvx = time.perf_counter() - t0
    rng = np.random.default_rng(0)
    idx = rng.choice(len(X), args.reference_points, replace=False)
    tau = level_set_threshold(fit_logistic(X, y, l2), eps)
    A = np.hstack([X, np.ones((len(X), 1))])
    ref = np.array([[lagrangian_path_extreme(X, y, A[i], tau, l2, s) for s in (-1.0, 1.0)] for i in idx])
    err_fast = np.abs(np.c_[lo[idx], hi[idx]] - ref).max()
    in_c = idx[idx < m]
    err_cvx = np.abs(np.c_[clo[in_c], chi[in_c]] - ref[idx < m]).max() if len(in_c) else float("nan")
    print(
        f"breast cancer n=569 d=30, l2={l2}, eps={eps}; accuracy vs Lagrangian-path reference on "
        f"{len(idx)} points (both ends, logit)"
    )
    print(f"{'method':34s} {'points':>7s} {'seconds':>9s} {'s/point':>9s} {'max |err| (logit)':>18s}")
    print(
        f"{'fast (KKT Newton, batched)':34s} {len(X):7d} {min(times):9.2f} {min(times) / len(X):9.4f} {err_fast:18.2e}"
    )
    print(f"{'cvxpy parametrised + Clarabel':34s} {m:7d} {t_cvx:9.2f} {t_cvx / m:9.4f} {err_cvx:18.2e}")
    print(
        f"speed-up per point: {t_cvx / m / (min(times) / len(X)):.0f}x; all 569 points: fast "
        f"{min(times):.2f} s vs cvxpy {t_cvx / m * len(X):.1f} s (extrapolated if fewer points were run)"
    )


if __name__ == "__main__":
    main()
