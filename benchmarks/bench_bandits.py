"""Per-replicate speed of the vectorised bandit simulators vs SMPyBandits, in one run.

Instance: Bernoulli, K = 10, means linspace(0.1, 0.9, 10), T = 10^4. Ours: R = 1000 replicates at once.
Reference: ``../shared/anchors/smpy_bench.py R`` (SMPyBandits 0.9.7, a per-round, per-replicate Python loop),
run with the interpreter given by --smpy-python (a scratch venv with ``pip install smpybandits``); skipped
when that interpreter is missing. Regret distributions are compared for the algorithms that are the same in
both (UCB1, Thompson, KL-UCB with the index ln t / N); SMPyBandits' Exp3 and Tsallis-INF use other learning-rate
schedules. KL-UCB is also run with ``lazy=False`` (every index every round) on the same seed: the lazy evaluation
must give the same regrets, replicate by replicate.

Run: python benchmarks/bench_bandits.py [--reps 1000] [--smpy-python /path/to/python] [--smpy-reps 10]
"""

from __future__ import annotations

import argparse
import math
import re
import subprocess
import time
from pathlib import Path

import numpy as np

from theory.bandits import bernoulli_bandit, exp3, kl_ucb, simulate, thompson, tsallis_inf, ucb1

ANCHOR = Path(__file__).resolve().parents[2] / "shared" / "anchors" / "smpy_bench.py"
OURS = {"UCB1": ucb1, "Exp3": exp3, "TsallisInf": lambda: tsallis_inf("iw"), "Thompson": thompson, "klUCB": kl_ucb}
SAME_ALGORITHM = ("UCB1", "Thompson", "klUCB")  # the anchor's names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--horizon", type=int, default=10_000)
    ap.add_argument("--smpy-python", default="/tmp/smpy/bin/python")
    ap.add_argument("--smpy-reps", type=int, default=10)
    args = ap.parse_args()
    env = bernoulli_bandit(np.linspace(0.1, 0.9, 10))
    ours = {}
    for name, make in OURS.items():
        # warm-up: the compiled kernels load from numba's cache (or compile, once per machine) at the first call
        simulate(make(), env, 100, 2, seed=1)
        t0 = time.perf_counter()
        r = simulate(make(), env, args.horizon, args.reps, seed=0)
        dt = time.perf_counter() - t0
        ours[name] = (dt / args.reps, r.mean, r.stderr, float(r.regret.std(ddof=1)))
    # the floor for exact Thompson sampling: K Beta variates per round and replicate, nothing else
    rng = np.random.default_rng(0)
    a = 1.0 + rng.integers(0, 50, size=(args.reps, 10)).astype(float)
    b = 1.0 + rng.integers(0, 50, size=(args.reps, 10)).astype(float)
    rounds = 500
    t0 = time.perf_counter()
    for _ in range(rounds):
        rng.beta(a, b)
    beta_floor = (time.perf_counter() - t0) / rounds * args.horizon / args.reps
    ref = {}
    if Path(args.smpy_python).exists() and ANCHOR.exists():
        out = subprocess.run(
            [args.smpy_python, str(ANCHOR), str(args.smpy_reps)], capture_output=True, text=True, timeout=3600
        ).stdout
        for line in out.splitlines():
            m = re.match(r"(\w+)\s+R=\d+ T=\d+ K=\d+: ([\d.]+) s/rep\s+mean regret ([\d.]+)", line)
            if m:
                ref[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    print(f"Bernoulli K=10 linspace(0.1, 0.9), T={args.horizon}; ours R={args.reps}, SMPyBandits R={args.smpy_reps}")
    print(
        f"{'policy':11s} {'ours s/rep':>11s} {'SMPy s/rep':>11s} {'speed-up':>9s} {'ours regret (mean +- SE)':>26s} "
        f"{'SMPy regret':>12s} {'|diff|/SE':>10s}"
    )
    for name, (sec, mean, se, sd) in ours.items():
        rs, rm = ref.get(name, (math.nan, math.nan))
        # the anchor prints only SMPy's mean; its SE is estimated from our replicates' SD (same algorithm, same
        # distribution under the null), so |diff|/SE is a z-score for UCB1 and Thompson (same algorithms in both)
        z = abs(mean - rm) / math.sqrt(se**2 + sd**2 / args.smpy_reps) if name in SAME_ALGORITHM else math.nan
        print(f"{name:11s} {sec:11.5f} {rs:11.3f} {rs / sec:8.0f}x {mean:17.1f} +- {se:5.1f} {rm:12.1f} {z:10.2f}")
    t0 = time.perf_counter()
    plain = simulate(kl_ucb(lazy=False), env, args.horizon, args.reps, seed=0)
    t_plain = (time.perf_counter() - t0) / args.reps
    lazy = simulate(kl_ucb(), env, args.horizon, args.reps, seed=0)
    print(
        f"KL-UCB lazy vs plain (every index every round), same seed: {t_plain / ours['klUCB'][0]:.1f}x faster, "
        f"regrets identical in all {args.reps} replicates: {bool(np.array_equal(plain.regret, lazy.regret))}"
    )
    rs = ref.get("Thompson", (math.nan,))[0]
    print(
        f"Exact Thompson sampling needs K Beta variates per round; drawing them alone (numpy, Beta(1..50, 1..50)) "
        f"costs {beta_floor:.5f} s/rep, {beta_floor / ours['Thompson'][0]:.0%} of our Thompson time and "
        f"1/{rs / beta_floor:.0f} of SMPyBandits'"
    )


if __name__ == "__main__":
    main()
