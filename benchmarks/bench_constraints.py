"""Per-call cost of declared constraints (``theory._constraints.constrained``) on the LDR loss and on a bandit
simulation (the two hot paths), in one run.

What declaring the constraints adds to a call is the decorator's binding of the arguments, a fixed cost: it is
measured on a function that does nothing (with no constraint, so no check runs), and set against the time of
``ldr_kl_loss`` itself on batches from one score vector (the worst case for a fixed cost) to 10^4 x 10. The checks
the constraints run are the checks the function ran by hand before; their cost is shown too, as the time of the
public function minus its unchecked body (``ldr_kl_loss.__wrapped__`` on canonical arguments); for the simulation,
also the cost of checking the declared fields of the result record it returns (``theory._constraints.record``).
A timing on a
shared machine varies by ~10%: each number is the best of 7 repeats.

Run: python benchmarks/bench_constraints.py [--repeat 2000]
"""

from __future__ import annotations

import argparse
import dataclasses
import timeit

import numpy as np

from theory._constraints import constrained
from theory.bandits import BanditResult, bernoulli_bandit, simulate, ucb1
from theory.ldr import ldr_kl_loss


def best_us(fn, number: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=2000)
    n = ap.parse_args().repeat

    def nothing(scores, y, lam=1.0, margin=1.0):
        return scores

    wrapped = constrained()(nothing)
    fixed = best_us(lambda: wrapped(1, 2, 0.5, 1.0), 50 * n) - best_us(lambda: nothing(1, 2, 0.5, 1.0), 50 * n)
    print(f"the decorator's fixed cost per call (binding the arguments): {fixed:.2f} us")
    print(f"{'batch':>12} {'public':>10} {'unchecked':>10} {'declaring':>10} {'all checks':>10}")
    rng = np.random.default_rng(0)
    body = ldr_kl_loss.__wrapped__
    for m, K in ((1, 3), (100, 10), (1000, 10), (10_000, 10)):
        f, y = rng.standard_normal((m, K)), rng.integers(0, K, m)
        reps = max(20, n // max(1, m // 100))
        public = best_us(lambda f=f, y=y: ldr_kl_loss(f, y, 0.5, 1.0), reps)
        unchecked = best_us(lambda f=f, y=y: body(f, y, 0.5, 1.0), reps)
        print(
            f"{m:>6} x {K:<3} {public:>8.1f}us {unchecked:>8.1f}us {100 * fixed / public:>9.2f}% "
            f"{100 * (public - unchecked) / public:>9.1f}%"
        )
    # a bandit simulation: simulate declares horizon and n_reps; its body checks the policy and environment itself
    env, pol = bernoulli_bandit(np.linspace(0.3, 0.7, 5)), ucb1()
    for T, R in ((100, 10), (10_000, 100)):
        public = best_us(lambda T=T, R=R: simulate(pol, env, T, R, seed=0), 20)
        # the result record checks its declared fields once per simulation (``@record``)
        res = simulate(pol, env, T, R, seed=0)
        fields = {f.name: getattr(res, f.name) for f in dataclasses.fields(res)}
        record = best_us(lambda fields=fields: BanditResult(**fields), n)
        print(
            f"simulate(ucb1, K = 5, horizon {T}, {R} replicates): {public:>10.1f}us, declaring "
            f"{100 * fixed / public:.3f}%, checking the result record {record:.1f}us ({100 * record / public:.2f}%)"
        )


if __name__ == "__main__":
    main()
