"""Correctness anchor: ``theory.width_scaling``'s "mup_package" form beside the ``mup`` package itself (PyTorch).

Usage: ``python benchmarks/anchor_mup_package.py`` in an environment with ``torch`` and ``mup`` installed from the
package index (``pip install torch mup``); nothing is copied from the package, which is imported at run time.

The same ReLU MLP (d_in, n, n, 1), no biases, is built with ``torch.nn.Linear`` layers and a ``mup.MuReadout``
readout, and ``mup.set_base_shapes`` is given a base model of width 1, so that the package's width multiplier is n
itself (with a base width n_0 every quantity is multiplied by a constant power of n_0: the exponents are the same,
the numbers are not). Its initial weights are copied into ``MLPParams`` of the "mup_package" parametrisation, and
one step of ``mup.MuSGD`` and of ``mup.MuAdam`` (Adam's eps 1e-8, passed to ``mlp_one_step`` as ``adam_eps``) is
compared with ``mlp_one_step``: the largest relative difference of the updated weights, and of the outputs, is
printed. Both run in float64, so agreement is expected to rounding (~1e-15).

Without PyTorch or mup the script says so and exits 0: it is an anchor for users who have both, not a test.
"""

from __future__ import annotations

import sys

import numpy as np

from theory.width_scaling import PARAMETRIZATIONS, MLPParams, mlp_forward, mlp_init, mlp_one_step


def _model(torch, mup, d_in: int, n: int):
    class MLP(torch.nn.Module):
        def __init__(self, width: int) -> None:
            super().__init__()
            self.inp = torch.nn.Linear(d_in, width, bias=False)
            self.hid = torch.nn.Linear(width, width, bias=False)
            self.out = mup.MuReadout(width, 1, bias=False)

        def forward(self, x):
            return self.out(torch.relu(self.hid(torch.relu(self.inp(x)))))

    model = MLP(n).double()
    mup.set_base_shapes(model, MLP(1).double())
    return model


def compare(torch, mup, n: int, optimizer: str, rng: np.random.Generator) -> tuple[float, float]:
    d_in, batch, lr = 8, 16, 0.05
    model = _model(torch, mup, d_in, n)
    x, y = rng.normal(size=(batch, d_in)), rng.normal(size=(batch, 1))
    weights = tuple(m.weight.detach().numpy().copy() for m in (model.inp, model.hid, model.out))
    ref = mlp_init((d_in, n, n, 1), PARAMETRIZATIONS["mup_package"], 0)  # for the multipliers and the rates
    ours = MLPParams(ref.widths, ref.parametrization, weights, ref.multipliers, ref.lr_scale)
    f_torch = model(torch.tensor(x)).detach().numpy()
    d_out = float(np.max(np.abs(f_torch - mlp_forward(ours, x).output)) / np.max(np.abs(f_torch)))
    opt = (mup.MuSGD if optimizer == "sgd" else mup.MuAdam)(
        model.parameters(), lr=lr, **({} if optimizer == "sgd" else {"eps": 1e-8})
    )
    loss = 0.5 * ((model(torch.tensor(x)) - torch.tensor(y)) ** 2).sum(dim=1).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    stepped = mlp_one_step(ours, x, y, lr, optimizer, adam_eps=1e-8 if optimizer == "adam" else 0.0)
    d_w = 0.0
    for m, w_ours, w0 in zip((model.inp, model.hid, model.out), stepped.weights, weights, strict=True):
        change = m.weight.detach().numpy() - w0
        d_w = max(d_w, float(np.max(np.abs(change - (w_ours - w0))) / np.max(np.abs(change))))
    return d_out, d_w


def main() -> int:
    try:
        import mup
        import torch
    except ImportError:
        print("skipped: PyTorch and mup are not both installed (pip install torch mup) - nothing to compare against")
        return 0
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(0)
    worst = 0.0
    for optimizer in ("sgd", "adam"):
        for n in (64, 256, 1024):
            d_out, d_w = compare(torch, mup, n, optimizer, rng)
            worst = max(worst, d_out, d_w)
            print(f"{optimizer:4s} n = {n:5d}: initial output {d_out:.2e}, one-step weight change {d_w:.2e} (relative)")
    print(f"largest relative difference: {worst:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
