"""Correctness anchor: ``theory.preference.fdpo_loss`` beside the f-DPO authors' released loss functions (PyTorch).

Usage: ``FDPO_REPO=/path/to/f-divergence-dpo python benchmarks/anchor_fdpo_released_code.py``, with a checkout of
alecwangcq/f-divergence-dpo. Its ``trainers.py`` defines ``dpo_loss``, ``forward_dpo_loss``, ``js_dpo_loss`` and
``alpha_dpo_loss`` (with ``stabilized_log1pexp``) at module level, beside a trainer that needs transformers, wandb and
tensor_parallel; so this script compiles only those five functions from the released file (``ast``), runs them, and
prints the largest relative difference, |released - ours| / max(1, |ours|), from ``fdpo_loss`` per divergence: on
ordinary log-probabilities, and on log-ratios of +-800, where float64 exponentials overflow. Without PyTorch or the
checkout it says so and exits 0: an anchor for users who have both, not a test. Nothing of the released code is
copied into this project.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import numpy as np

from theory.preference import fdpo_loss

RELEASED = {  # our divergence name -> the released function and its extra keyword arguments
    "reverse_kl": ("dpo_loss", {}),
    "forward_kl": ("forward_dpo_loss", {}),
    "jensen_shannon": ("js_dpo_loss", {}),
    "alpha": ("alpha_dpo_loss", {"alpha": 0.5}),
}
NEEDED = {"stabilized_log1pexp", *(name for name, _ in RELEASED.values())}


def released_losses(path: Path) -> dict:
    """The released loss functions, compiled from their definitions in ``trainers.py`` alone."""
    import torch
    import torch.nn.functional as F

    tree = ast.parse(path.read_text())
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in NEEDED]
    missing = NEEDED - {n.name for n in defs}
    if missing:
        raise LookupError(f"{path} no longer defines {sorted(missing)}; adapt RELEASED")
    namespace = {"torch": torch, "F": F, "Tuple": tuple}
    exec(compile(ast.Module(body=defs, type_ignores=[]), str(path), "exec"), namespace)
    return namespace


def compare(fns: dict, logps: list[np.ndarray], beta: float) -> dict[str, float]:
    import torch

    out = {}
    for name, (fn, extra) in RELEASED.items():
        with np.errstate(all="ignore"):
            ref = fns[fn](*(torch.tensor(v) for v in logps), beta, **extra)[0].numpy()
        ours = fdpo_loss(*logps, beta=beta, divergence=name, alpha=extra.get("alpha"))
        both = np.isfinite(ref) & np.isfinite(ours)
        rel = np.abs(ref[both] - ours[both]) / np.maximum(1.0, np.abs(ours[both]))
        out[name] = (
            float(np.max(rel, initial=0.0)),
            int(np.isnan(ref).sum()),
            int(np.isinf(ref).sum()),
            int(np.isinf(ours).sum()),
            int(np.isnan(ours).sum()),
        )
    return out


def main() -> int:
    try:
        import torch  # noqa: F401
    except ImportError:
        print("skipped: PyTorch is not installed (pip install torch) - nothing to compare against")
        return 0
    repo = os.environ.get("FDPO_REPO")
    if not repo or not (Path(repo) / "trainers.py").is_file():
        print("skipped: set FDPO_REPO to a checkout of alecwangcq/f-divergence-dpo (it holds trainers.py)")
        return 0
    fns = released_losses(Path(repo) / "trainers.py")
    rng = np.random.default_rng(0)
    n = 10_000
    ordinary = [-rng.exponential(20.0, n) for _ in range(4)]  # sequence log-probabilities
    ref_w, ref_l = -1000.0 - rng.exponential(20.0, (2, n))  # room for log-ratios of +-800 below 0
    extreme = [ref_w + rng.choice([-800.0, 800.0], n), ref_l + rng.choice([-800.0, 800.0], n), ref_w, ref_l]
    for label, logps in (("ordinary log-probabilities", ordinary), ("log-ratios of +-800", extreme)):
        for beta in (0.1, 1.0):
            for name, (diff, nan, inf, ours_inf, ours_nan) in compare(fns, logps, beta).items():
                print(
                    f"{label:27s} beta = {beta:3g} {name:15s}: largest relative difference {diff:.2e} where both "
                    f"are finite; released NaN {nan}, inf {inf}; ours NaN {ours_nan}, inf {ours_inf} (of {n})"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
