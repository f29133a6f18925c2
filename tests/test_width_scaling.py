"""theory/width_scaling/ against independent computations: finite differences of the loss, the exact symmetry,
the first-order change against a small step, and the predicted exponents' invariances."""

from __future__ import annotations

import numpy as np
import pytest

from theory.width_scaling import (
    PARAMETRIZATIONS,
    Parametrization,
    abc_parametrization,
    coordinate_check,
    lr_sweep,
    mlp_forward,
    mlp_init,
    mlp_one_step,
    predicted_update_exponents,
    tanh_teacher,
)


def _loss(p, x, y):
    return 0.5 * np.mean(np.sum((mlp_forward(p, x).output - y) ** 2, axis=1))


def test_the_sgd_step_is_minus_lr_times_the_finite_difference_gradient():
    r = np.random.default_rng(0)
    x, y = r.normal(size=(5, 3)), r.normal(size=(5, 1))
    for name in ("sp", "mup", "mup_package"):
        p = mlp_init([3, 6, 6, 1], name, rng=1)
        q = mlp_one_step(p, x, y, lr=1.0)
        for li in range(3):
            for idx in [(0, 0), (0, 2)]:
                h = 1e-6
                w_plus = list(p.weights)
                w_plus[li] = w_plus[li].copy()
                w_plus[li][idx] += h
                w_minus = list(p.weights)
                w_minus[li] = w_minus[li].copy()
                w_minus[li][idx] -= h
                f = [_loss(type(p)(p.widths, p.parametrization, tuple(w), p.multipliers, p.lr_scale), x, y)
                     for w in (w_plus, w_minus)]  # fmt: skip
                g = (f[0] - f[1]) / (2 * h)
                step = q.weights[li][idx] - p.weights[li][idx]
                assert step == pytest.approx(-p.lr_scale["sgd"][li] * g, rel=1e-5, abs=1e-12)


def test_the_three_mup_forms_are_one_network_at_every_step():
    r = np.random.default_rng(2)
    x, y = r.normal(size=(4, 3)), r.normal(size=(4, 1))
    for opt in ("sgd", "adam"):
        for n in (16, 32, 128):
            outs = []
            for name in ("mup", "mup_table3", "mup_package"):
                p = mlp_init([3, n, n, 1], name, rng=3)
                traj = []
                for _ in range(3):
                    traj.append(mlp_forward(p, x).output)
                    p = mlp_one_step(p, x, y, 0.05, opt)
                outs.append(np.array(traj))
            np.testing.assert_allclose(outs[1], outs[0], rtol=1e-11, atol=1e-13)
            np.testing.assert_allclose(outs[2], outs[0], rtol=1e-11, atol=1e-13)
    sp = mlp_init([3, 32, 32, 1], "sp", rng=3)
    mup = mlp_init([3, 32, 32, 1], "mup", rng=3)
    assert not np.allclose(mlp_forward(sp, x).output, mlp_forward(mup, x).output)


def test_predicted_exponents_of_the_named_parametrizations():
    assert predicted_update_exponents("sp") == {"hidden": 0.5, "output": 1.0}
    assert predicted_update_exponents("ntk") == {"hidden": -0.5, "output": 0.0}
    for name in ("mup", "mup_table3", "mup_package"):
        for opt in ("sgd", "adam"):
            assert predicted_update_exponents(name, opt) == {"hidden": 0.0, "output": 0.0}
    assert predicted_update_exponents("sp", "adam") == {"hidden": 1.0, "output": 1.5}


def test_predicted_exponents_are_invariant_under_the_abc_symmetry():
    r = np.random.default_rng(4)
    grid = np.arange(-2, 3) / 2
    for _ in range(200):
        a, b, c = (r.choice(grid, 3) for _ in range(3))
        theta = r.choice(grid, 3)
        P = abc_parametrization(a, b, c, c_adam=c)
        Q_sgd = abc_parametrization(a + theta, b - theta, c - 2 * theta)
        Q_adam = abc_parametrization(a + theta, b - theta, c, c_adam=c - theta)
        assert predicted_update_exponents(Q_sgd, "sgd") == predicted_update_exponents(P, "sgd")
        assert predicted_update_exponents(Q_adam, "adam") == predicted_update_exponents(P, "adam")


def test_the_first_order_change_is_the_small_step_limit():
    for name, opt in (("sp", "sgd"), ("ntk", "adam"), ("mup", "sgd")):
        step = coordinate_check(name, [16, 64], seeds=2, optimizer=opt, lr=1e-7, batch=4)
        first = coordinate_check(name, [16, 64], seeds=2, optimizer=opt, lr=1e-7, batch=4, first_order=True)
        for k in ("hidden", "output"):
            np.testing.assert_allclose(step.rms[k], first.rms[k], rtol=1e-5)


def test_coordinate_check_recovers_the_sp_blow_up_and_mup_stability():
    sp = coordinate_check("sp", [64, 128, 256, 512, 1024], seeds=3, batch=16, first_order=True)
    mup = coordinate_check("mup", [64, 128, 256, 512, 1024], seeds=3, batch=16, first_order=True)
    for k, v in sp.predicted.items():
        lo, hi = sp.intervals[k]
        assert lo <= v <= hi
        lo, hi = mup.intervals[k]
        assert lo <= 0.0 <= hi
    assert sp.slopes["output"] > 0.5 > mup.slopes["output"]


def test_lr_sweep_marks_divergence_and_finds_an_interior_optimum():
    r = lr_sweep("mup", [16, 32], np.arange(-6.0, 8.0), steps=20, seeds=1)
    assert np.all(np.isinf(r.loss[:, -1]))  # 2^7: diverged
    assert np.all(np.isfinite(r.loss[:, 0]))
    assert np.all((r.best_log2_lr > -6) & (r.best_log2_lr < 7))
    x, y = tanh_teacher(8, 3, seed=1)
    assert x.shape == (8, 3) and np.all(np.abs(y) < 1)


def test_parametrization_arguments_are_validated():
    with pytest.raises(ValueError, match="parametrization must be one of"):
        predicted_update_exponents("mupp")
    with pytest.raises(ValueError, match="needs keys"):
        predicted_update_exponents({"a": 0, "b": 0})
    table = {"a": (-0.5, 0, 0.5), "b": 0.5, "c": 0}
    assert predicted_update_exponents(table) == {"hidden": 0.0, "output": 0.0}
    with pytest.raises(ValueError, match="a must hold exponents"):
        Parametrization("x", (9, 0, 0), 0, 0, 0)
    with pytest.raises(ValueError, match="widths must hold at least 2 increasing"):
        coordinate_check("sp", [64, 32])
    with pytest.raises(ValueError, match="x must have shape"):
        mlp_forward(mlp_init([2, 4, 4, 1], "sp", 0), np.ones((3, 5)))
    assert set(PARAMETRIZATIONS) >= {"sp", "ntk", "mup", "mup_table3", "mup_package"}


def test_the_mup_package_anchor_skips_cleanly_without_torch_or_mup(monkeypatch, capsys):
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "anchor_mup_package.py"
    spec = importlib.util.spec_from_file_location("anchor_mup", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setitem(sys.modules, "mup", None)  # importing mup raises ImportError
    assert mod.main() == 0
    assert "skipped" in capsys.readouterr().out
