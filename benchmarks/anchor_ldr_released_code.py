"""Correctness anchor: ``theory.ldr`` beside the authors' released ``LDRLoss_V1`` and ``ALDRLoss_V1`` (PyTorch).

Usage: ``LDR_REPO=/path/to/LDR python benchmarks/anchor_ldr_released_code.py``, with ``LDR_REPO`` a checkout of
DixianZhu/LDR (or Optimization-AI/ICML2023_LDR, which lacks ``ALDRLoss_V1``'s last commit; both hold ``loss.py``).
The released code is imported from that path at run time, never copied.

- ``LDRLoss_V1(threshold=c, Lambda=lam)`` rescales the scores by softplus(f)/mean(softplus(f)) and returns the batch
  mean; ours is ``ldr_kl_loss`` of the same rescaled scores, compared row by row (one-row batches).
- ``ALDRLoss_V1(N, threshold, Lambda, alpha, softplus)`` keeps one temperature per example and updates those of the
  ``ids`` it is called with; ours is ``ALDRState.released`` (the same rescaling and 1e-5 smoothing). Several calls on
  overlapping id sets are made, and after each the stored temperatures and the batch-mean loss are compared.

The released class stores its temperatures in float32 (``.float()``) and its indexed assignment requires scores of
the same dtype (float64 scores raise there), so it runs in float32 throughout, on float32 scores; ours runs in float64
on the same values. Agreement is expected to float32's rounding: unit roundoff 6e-8, a few ulps per operation of a
loss of order 1 over K terms, i.e. ~1e-6 absolute, and ~1e-7 relative in the temperatures. The class moves its
buffers to the GPU with ``.cuda()``; on a machine without CUDA this script makes ``.cuda()`` return the tensor
itself for the run (the code is not modified).

Without PyTorch or the repository the script says so and exits 0: it is an anchor for users who have both, not a test.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np

from theory.ldr import ALDRState, ldr_kl_loss


def softplus_rescale(f: np.ndarray) -> np.ndarray:
    s = np.logaddexp(0.0, f)
    return s / s.mean(axis=1, keepdims=True)


def _load(repo: str):
    spec = importlib.util.spec_from_file_location("ldr_released", Path(repo) / "loss.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def compare_ldr(mod, torch, rng: np.random.Generator) -> float:
    worst = 0.0
    for K, lam, c in [(10, 1.0, 1.0), (100, 0.1, 0.5), (5, 10.0, 2.0), (10, 1.0, 0.1)]:
        f = rng.normal(scale=3.0, size=(64, K))
        y = rng.integers(K, size=64)
        onehot = np.eye(K)[y]
        released = mod.LDRLoss_V1(threshold=c, Lambda=lam)
        ref = np.array(
            [float(released(torch.tensor(f[i : i + 1]), torch.tensor(onehot[i : i + 1]))) for i in range(len(f))]
        )
        ours = ldr_kl_loss(softplus_rescale(f), y, lam, c)
        diff = float(np.max(np.abs(ours - ref)))
        worst = max(worst, diff)
        print(f"LDRLoss_V1   K = {K:4d}, lambda = {lam:5g}, c = {c:g}: largest difference per example {diff:.3e}")
    return worst


def compare_aldr(mod, torch, rng: np.random.Generator, dtype) -> tuple[float, float]:
    worst_lam, worst_loss = 0.0, 0.0
    name = np.dtype(dtype).name
    settings = [(10, 1.0, 2.0, 0.1, False), (100, 0.1, 2.0, 1.0, True), (5, 10.0, 1.0, 0.1, False)]
    for K, lam0, alpha, c, softplus in settings:
        N, batch = 64, 16
        released = mod.ALDRLoss_V1(N, threshold=c, Lambda=lam0, alpha=alpha, softplus=softplus)
        ours = ALDRState.released(N, lam0=lam0, alpha=alpha, margin=c, softplus=softplus)
        d_lam = d_loss = 0.0
        for _ in range(6):  # overlapping id sets: each call updates from the temperatures the last call stored
            ids = rng.choice(N, size=batch, replace=False)
            f = rng.normal(scale=3.0, size=(batch, K)).astype(dtype)
            y = rng.integers(K, size=batch)
            ref = float(released(torch.tensor(f), torch.tensor(np.eye(K, dtype=dtype)[y]), torch.tensor(ids)))
            mine = float(np.mean(ours.loss(f.astype(float), y, ids)))
            lam_ref = released.Lambda.detach().cpu().numpy().ravel().astype(float)
            d_lam = max(d_lam, float(np.max(np.abs(ours.lam - lam_ref) / lam0)))
            d_loss = max(d_loss, abs(mine - ref))
        worst_lam, worst_loss = max(worst_lam, d_lam), max(worst_loss, d_loss)
        print(
            f"ALDRLoss_V1  K = {K:4d}, lambda_0 = {lam0:5g}, alpha = {alpha:g}, c = {c:g}, softplus = {softplus!s:5}, "
            f"{name} scores, 6 calls: temperatures {d_lam:.3e} (relative to lambda_0), batch-mean loss {d_loss:.3e}"
        )
    return worst_lam, worst_loss


def main() -> int:
    try:
        import torch
    except ImportError:
        print("skipped: PyTorch is not installed (pip install torch) - nothing to compare against")
        return 0
    repo = os.environ.get("LDR_REPO")
    if not repo or not (Path(repo) / "loss.py").is_file():
        print("skipped: set LDR_REPO to a checkout of DixianZhu/LDR (it holds loss.py)")
        return 0
    if not torch.cuda.is_available():
        torch.Tensor.cuda = lambda self, *args, **kwargs: self  # the class calls .cuda(); CPU-only: a no-op
    mod = _load(repo)
    rng = np.random.default_rng(0)
    worst = compare_ldr(mod, torch, rng)
    print(f"LDRLoss_V1: largest difference over all batches: {worst:.3e}\n")
    if not hasattr(mod, "ALDRLoss_V1"):
        print("ALDRLoss_V1 is not in this checkout (Optimization-AI/ICML2023_LDR lacks it): use DixianZhu/LDR")
        return 0
    lam, loss = compare_aldr(mod, torch, rng, np.float32)
    print(f"ALDRLoss_V1: largest differences over all calls: temperatures {lam:.3e}, batch-mean loss {loss:.3e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
