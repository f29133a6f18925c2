"""Correctness anchor: ``theory.ldr.ldr_kl_loss`` beside the authors' released ``LDRLoss_V1`` (PyTorch).

Usage: ``LDR_REPO=/path/to/ICML2023_LDR python benchmarks/anchor_ldr_released_code.py``. The released class rescales
the scores by softplus(f)/mean(softplus(f)) before the loss (as quoted in this project's planning); the same rescaling
is applied here before ``ldr_kl_loss``, and the largest absolute difference over random batches is printed. Without
PyTorch or the repository the script says so and exits 0: it is an anchor for users who have both, not a test.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np

from theory.ldr import ldr_kl_loss


def softplus_rescale(f: np.ndarray) -> np.ndarray:
    s = np.logaddexp(0.0, f)
    return s / s.mean(axis=1, keepdims=True)


def main() -> int:
    try:
        import torch
    except ImportError:
        print("skipped: PyTorch is not installed (pip install torch) - nothing to compare against")
        return 0
    repo = os.environ.get("LDR_REPO")
    if not repo or not (Path(repo) / "loss.py").is_file():
        print("skipped: set LDR_REPO to a checkout of Optimization-AI/ICML2023_LDR (it holds loss.py)")
        return 0
    spec = importlib.util.spec_from_file_location("ldr_released", Path(repo) / "loss.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rng = np.random.default_rng(0)
    worst = 0.0
    for K, lam, c in [(10, 1.0, 1.0), (100, 0.1, 0.5), (5, 10.0, 2.0)]:
        f = rng.normal(scale=3.0, size=(256, K))
        y = rng.integers(K, size=256)
        try:
            released = mod.LDRLoss_V1(threshold=c, Lambda=lam)  # keyword names as in the released code, if they match
        except TypeError as e:
            print(f"the released LDRLoss_V1 has another signature ({e}); adapt this call")
            return 1
        ref = released(torch.tensor(f), torch.tensor(y)).detach().numpy()
        ours = ldr_kl_loss(softplus_rescale(f), y, lam, c)
        diff = (
            float(np.max(np.abs(np.mean(ours) - np.mean(ref))))
            if np.ndim(ref) == 0
            else float(np.max(np.abs(ours - ref)))
        )
        worst = max(worst, diff)
        print(f"K = {K:4d}, lambda = {lam:5g}, c = {c:g}: largest difference {diff:.3e}")
    print(f"largest difference over all batches: {worst:.3e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
