"""Correctness anchor: ``theory.preference.logistic_unlearning_run`` beside the NPO authors' released synthetic model.

Usage: ``NPO_REPO=/path/to/negative-preference-optimization python benchmarks/anchor_npo_released_code.py``, with a
checkout of licong-lin/negative-preference-optimization. Its ``synthetic/mymodel.py`` defines ``RFModel``, a
random-features softmax model whose ``train_model`` runs gradient descent on the GA (``"grad_ascent"``) or NPO
(``"non_paired_dpo"``) loss of a forget set against a frozen ``finetuned_model``. With K = 2 classes and the second
logit fixed at 0 it is a logistic model on the features Z = relu(X W'): label +1 for class 0, -1 for class 1, and
theta its weights ``a``. Both are run from the same weights for the same steps and the largest difference in the
final weights is printed. Without PyTorch (and tqdm, scikit-learn, matplotlib, which ``mymodel.py`` imports) or the
checkout it says so and exits 0: an anchor for users who have them, not a test.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np

from theory.preference import logistic_unlearning_run


def main() -> int:
    try:
        import torch
    except ImportError:
        print("skipped: PyTorch is not installed (pip install torch) - nothing to compare against")
        return 0
    repo = os.environ.get("NPO_REPO")
    path = Path(repo or "") / "synthetic" / "mymodel.py"
    if not repo or not path.is_file():
        print("skipped: set NPO_REPO to a checkout of licong-lin/negative-preference-optimization")
        return 0
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("npo_mymodel", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    rng = np.random.default_rng(0)
    worst = 0.0
    for loss_type, method, beta, lr, steps in [
        ("grad_ascent", "ga", None, 5e-4, 2000),
        ("non_paired_dpo", "npo", 1.0, 5e-4, 2000),
        ("non_paired_dpo", "npo", 0.1, 1e-2, 500),
    ]:
        d, N, n_f = 16, 128, 200  # the sizes of the released synthetic experiment
        W = rng.normal(size=(N, d)) / np.sqrt(d)
        a0 = rng.normal(size=(N, 1)) * 0.1
        X_f, y_f = rng.normal(size=(n_f, d)), rng.integers(0, 2, n_f)
        t = {k: torch.tensor(v) for k, v in {"W": W, "a": a0, "X": X_f, "y": y_f}.items()}
        frozen = mod.RFModel(d, N, 2, W=t["W"], a=t["a"])
        model = mod.RFModel(d, N, 2, W=t["W"], a=t["a"], finetuned_model=frozen, loss_type=loss_type, beta=beta)
        data = ((t["X"][:2], t["y"][:2]), (t["X"], t["y"]), t["y"])  # retain and idk sets are unused by GA and NPO
        model.train_model(data, learning_rate=lr, steps=steps, evaluate=False)
        Z = np.maximum(X_f @ W.T, 0.0)
        ours = logistic_unlearning_run(Z, 1.0 - 2.0 * y_f, a0[:, 0], lr, steps, method, beta=beta or 1.0)
        released = model.a.detach().numpy()[:, 0]
        diff = float(np.max(np.abs(ours.theta[0] - released)))
        worst = max(worst, diff)
        print(
            f"{loss_type:15s} beta = {beta!s:4s} lr = {lr:g}, {steps} steps: largest weight difference {diff:.3e} "
            f"(weights moved by up to {np.abs(released - a0[:, 0]).max():.3g})"
        )
    print(f"largest difference over all runs: {worst:.3e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
