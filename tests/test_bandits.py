"""theory.bandits against scalar reference implementations, direct optimisation and Monte Carlo."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize

from theory.bandits import (
    adversarial_bandit,
    bernoulli_bandit,
    bernoulli_kl,
    exp3,
    exp3_regret_bound,
    follow_the_leader,
    ftl_killer_table,
    gaussian_bandit,
    hedge,
    hedge_regret_bound,
    kl_ucb,
    kl_ucb_index,
    lai_robbins_constant,
    simulate,
    simulate_streaming,
    streaming_challenge,
    streaming_explore_pulls,
    streaming_uniform_exploration,
    thompson,
    tsallis_inf,
    tsallis_weights,
    ucb1,
    ucb1_regret_bound,
    uniform_exploration_regret_bound,
)


def test_vectorised_ucb1_matches_a_scalar_reference_on_the_same_stream():
    means = np.array([0.3, 0.5, 0.45, 0.7])
    T = 3000
    res = simulate(ucb1(), bernoulli_bandit(means), T, 1, seed=11)
    rng = np.random.default_rng(11)  # the simulator draws one uniform per replicate and round from this stream
    counts, sums, regret = np.zeros(4), np.zeros(4), 0.0
    for t in range(T):
        a = t if t < 4 else int(np.argmax(sums / counts + np.sqrt(2 * math.log(t + 1) / counts)))
        reward = float(rng.random(1)[0] < means[a])
        counts[a] += 1
        sums[a] += reward
        regret += means.max() - means[a]
    assert res.regret[0] == pytest.approx(regret, abs=1e-9)


def test_tsallis_weights_solve_the_ftrl_problem():
    rng = np.random.default_rng(0)
    L = rng.uniform(0, 30, size=(3, 6))
    eta = 0.3
    w = tsallis_weights(L, eta)
    for row, wr in zip(L, w, strict=True):
        obj = lambda v, row=row: row @ v - (4 / eta) * np.sum(np.sqrt(np.maximum(v, 0)) - v / 2)  # noqa: E731
        ref = minimize(
            obj,
            np.full(6, 1 / 6),
            method="SLSQP",
            bounds=[(0, 1)] * 6,
            constraints=[{"type": "eq", "fun": lambda v: v.sum() - 1}],
            options={"ftol": 1e-15},
        )
        assert obj(wr) <= ref.fun + 1e-9  # ours is at least as good as a generic solver
        np.testing.assert_allclose(wr, ref.x, atol=1e-4)
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-12)


def test_extreme_scales_stay_finite():
    # horizons of 1e6 and K = 1000: cumulative estimated losses of order 1e6 (and spread), eta_t = 2/sqrt(1e6)
    rng = np.random.default_rng(1)
    L = 1e6 + rng.uniform(0, 5e4, size=(4, 1000))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = tsallis_weights(L, 2 / math.sqrt(1e6))
        assert np.all(np.isfinite(w)) and np.allclose(w.sum(1), 1, atol=1e-12)
        pol = exp3()
        s = pol.init(4, 1000, 10**6)
        s.cum[:] = L
        _, p = pol.act(s, 999_999, 10**6, rng)
        assert np.all(np.isfinite(p)) and np.allclose(p.sum(1), 1)
    for pol in (ucb1(), kl_ucb(), thompson(), exp3(), tsallis_inf("iw"), tsallis_inf("rv")):
        r = simulate(pol, bernoulli_bandit(rng.uniform(0, 1, 1000)), 1500, 2, seed=2)
        assert np.all(np.isfinite(r.curve))


def test_kl_ucb_index_against_bisection_and_kl_against_formula():
    rng = np.random.default_rng(3)
    mean = rng.uniform(0, 1, (200, 5))
    budget = rng.uniform(1e-5, 4, (200, 5))
    lo, hi = mean.copy(), np.ones_like(mean)
    for _ in range(80):
        mid = (lo + hi) / 2
        ok = bernoulli_kl(mean, mid) <= budget
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
    np.testing.assert_allclose(kl_ucb_index(mean, budget), lo, atol=1e-12)
    # the extremes: means at and near 0 and 1, budgets from 1e-9 to 1e3 (ln t / n_i from T = 1e6 down to n = 1)
    mean = np.r_[0.0, 1e-12, 1e-4, 0.5, 1 - 1e-4, 1 - 1e-12, 1.0]
    budget = np.logspace(-9, 3, 13)[:, None]
    m, b = np.broadcast_arrays(mean, budget)
    lo, hi = m.copy(), np.ones_like(m)
    for _ in range(200):
        mid = (lo + hi) / 2
        ok = bernoulli_kl(m, mid) <= b
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
    q = kl_ucb_index(mean, budget)
    assert np.all((q >= m) & (q <= 1.0))
    np.testing.assert_allclose(q, lo, atol=1e-12)  # the bisection's own rounding near q = mean is ~1e-13
    grow = kl_ucb_index(0.4, np.logspace(-9, 3, 50))
    # increasing in the budget (the lazy evaluation relies on it), strictly below q = 1
    assert np.all(np.diff(grow[grow < 1]) > 0) and np.all(np.diff(grow) >= 0)
    p, q = 0.3, 0.8
    assert bernoulli_kl(p, q) == pytest.approx(p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q)))
    assert bernoulli_kl(0.0, 0.5) == pytest.approx(math.log(2))
    m = np.array([0.2, 0.5, 0.9])
    expected = sum((0.9 - mi) / (mi * math.log(mi / 0.9) + (1 - mi) * math.log((1 - mi) / 0.1)) for mi in (0.2, 0.5))
    assert lai_robbins_constant(m) == pytest.approx(expected)


@pytest.mark.parametrize(
    "means",
    [
        np.linspace(0.1, 0.9, 10),
        np.array([0.5, 0.5, 0.5, 0.49]),
        np.array([0.0, 0.0, 1.0, 1.0, 0.999]),
        np.full(30, 0.2),
    ],
)
def test_lazy_kl_ucb_makes_the_plain_choices_on_the_same_stream(means):
    """The lazy index evaluation (exact indices only where a bound says the arm can win) against the plain
    per-round computation of every index: the same arms in every round and replicate, hence the same regrets.
    Ties (equal arms, rewards at 0 and 1, 30 identical arms) are where a pruning bug would show first."""
    env = bernoulli_bandit(means)
    lazy = simulate(kl_ucb(), env, 3000, 40, seed=5, n_checkpoints=3000)
    plain = simulate(kl_ucb(lazy=False), env, 3000, 40, seed=5, n_checkpoints=3000)
    np.testing.assert_array_equal(lazy.curve, plain.curve)
    np.testing.assert_array_equal(lazy.regret, plain.regret)
    lazy_c = simulate(kl_ucb(c=3.0), env, 2000, 20, seed=6)
    plain_c = simulate(kl_ucb(c=3.0, lazy=False), env, 2000, 20, seed=6)
    np.testing.assert_array_equal(lazy_c.regret, plain_c.regret)


@pytest.mark.parametrize("policy", [ucb1(), exp3(), tsallis_inf("iw"), tsallis_inf("rv")], ids=lambda p: p.name)
@pytest.mark.parametrize(
    ("means", "T", "R"),
    [
        (np.linspace(0.1, 0.9, 10), 3000, 7),
        (np.array([0.5, 0.5, 0.49]), 2000, 1),  # ties, one replicate
        (np.array([0.0, 1.0, 1.0, 0.999]), 1500, 3),  # rewards at 0 and 1
        (np.full(40, 0.3), 25, 2),  # T < K: UCB1 still in its initial pulls
    ],
)
def test_compiled_loop_pulls_the_arms_of_the_per_round_loop(policy, means, T, R):
    """The compiled loop on Bernoulli bandits (``simulate``'s default) against the per-round loop on the same seed:
    the same counts at every checkpoint (hence the same arms), the regret curves equal to rounding."""
    env = bernoulli_bandit(means)
    fast = simulate(policy, env, T, R, seed=11, n_checkpoints=T, compiled=True)
    loop = simulate(policy, env, T, R, seed=11, n_checkpoints=T, compiled=False)
    np.testing.assert_array_equal(fast.checkpoints, loop.checkpoints)
    np.testing.assert_allclose(fast.curve, loop.curve, rtol=1e-12, atol=1e-9)
    # at every checkpoint, not only the end: an arm pulled differently shows as a gap of a whole Delta
    assert np.abs(fast.curve - loop.curve).max() < 1e-9 * max(1.0, np.abs(loop.curve).max())


def test_same_seed_same_numbers_and_replicates_differ():
    env = bernoulli_bandit([0.2, 0.5, 0.6])
    a = simulate(exp3(), env, 500, 20, seed=5)
    b = simulate(exp3(), env, 500, 20, seed=5)
    np.testing.assert_array_equal(a.curve, b.curve)
    assert len(np.unique(a.regret)) > 1


def test_hedge_bound_and_ftl_negative_control():
    T = 4000
    env = adversarial_bandit(ftl_killer_table(T))
    h = simulate(hedge(), env, T, 5, seed=0)
    assert h.regret.max() <= hedge_regret_bound(T, 2)
    f = simulate(follow_the_leader(), env, T, 1, seed=0)
    assert f.regret[0] >= T / 2 - 2  # linear: FTL loses every round after the first
    assert f.regret[0] > hedge_regret_bound(T, 2)


def test_exp3_bound_monte_carlo_on_a_switching_table():
    from theory.bandits import switching_loss_table

    T, K, R = 3000, 5, 200
    r = simulate(exp3(), adversarial_bandit(switching_loss_table(T, K, rng=1)), T, R, seed=3)
    # mean + 3 standard errors below the guarantee
    assert r.mean + 3 * r.stderr <= exp3_regret_bound(T, K)
    # negative control: a tenth of the bound is violated by mean - 3 SE
    assert r.mean - 3 * r.stderr > exp3_regret_bound(T, K) / 10


def test_ucb1_bound_vectorised_over_T():
    means = np.array([0.1, 0.5, 0.9])
    b = ucb1_regret_bound(np.array([10, 100]), means)
    d = np.array([0.8, 0.4])
    np.testing.assert_allclose(b, [np.sum(8 * math.log(T) / d) + (1 + math.pi**2 / 3) * d.sum() for T in (10, 100)])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: bernoulli_bandit([0.5]), "means must have at least 2 entries"),
        (lambda: ucb1_regret_bound(100, [0.5, 1.2]), r"means must lie in \[0, 1\]"),  # rewards in [0, 1]
        (lambda: uniform_exploration_regret_bound(100, [0.5, 0.6], pulls=60), "pulls x K = 120 exceeds the horizon"),
        (lambda: kl_ucb(lazy=1), "lazy must be True or False"),
        (lambda: bernoulli_bandit([0.5, 1.2]), r"means must lie in \[0, 1\]"),
        (lambda: gaussian_bandit([0.0, 1.0], sigma=0.0), r"sigma must lie in \(0, inf\)"),
        (lambda: adversarial_bandit(np.ones(5)), r"loss_table must have shape \(T, K\)"),
        (lambda: adversarial_bandit([[0.0, 2.0]]), r"loss_table must lie in \[0, 1\]"),
        (lambda: exp3(eta=0.0), r"eta must lie in \(0, inf\)"),
        (lambda: hedge(eta=-1.0), r"eta must lie in \(0, inf\)"),
        (lambda: tsallis_inf("xx"), "estimator must be one of 'iw', 'rv'"),
        (lambda: simulate(ucb1(), bernoulli_bandit([0.1, 0.2]), 0, 2), "horizon must be an integer >= 1"),
        (lambda: simulate(ucb1(), bernoulli_bandit([0.1, 0.2]), 5, 0), "n_reps must be an integer >= 1"),
        (lambda: simulate(ucb1(), adversarial_bandit(np.zeros((3, 2))), 5, 1), "horizon must be <= the loss table"),
        (lambda: simulate(exp3(), gaussian_bandit([0.0, 1.0]), 5, 1), "needs rewards in \\[0, 1\\]"),
        (lambda: simulate(hedge(), gaussian_bandit([0.0, 1.0]), 5, 1), "needs rewards in \\[0, 1\\]"),
        (lambda: exp3_regret_bound(100, 1), r"K must lie in \[2, inf\)"),
        (lambda: lai_robbins_constant([0.5, 1.5]), r"means must lie in \[0, 1\]"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def _streaming_reference(kind: str, means: np.ndarray, T: int, N: int, rng: np.random.Generator) -> float:
    """A per-round, one-replicate implementation of the two streaming algorithms (pull by pull)."""
    K = len(means)
    gaps = means.max() - means
    regret, t = 0.0, 0

    def pull(i: int) -> float:
        nonlocal regret, t
        regret += gaps[i]
        t += 1
        return float(rng.random() < means[i])

    king_mean = sum(pull(0) for _ in range(N)) / N
    king = 0
    rad_k = math.sqrt(math.log(T) / (2 * N))
    L = min(6, int(math.log2(N)))
    stages = sorted({math.ceil(N * 2.0 ** (j - L)) for j in range(L + 1)}) if kind == "challenge" else [N]
    for i in range(1, K):
        total, n, alive = 0.0, 0, True
        for stage in stages:
            while n < stage:
                total += pull(i)
                n += 1
            if stage < N and total / n + math.sqrt(math.log(T) / (2 * n)) + rad_k < king_mean:
                alive = False
                break
        if alive and total / N > king_mean:
            king, king_mean = i, total / N
    return regret + (T - t) * gaps[king]


@pytest.mark.parametrize("kind", ["uniform", "challenge"])
def test_streaming_simulator_matches_a_per_round_reference_in_distribution(kind):
    means = np.array([0.5, 0.45, 0.6, 0.5, 0.3])
    T, N, R = 3000, 120, 400
    alg = streaming_uniform_exploration(N) if kind == "uniform" else streaming_challenge(N)
    fast = simulate_streaming(alg, bernoulli_bandit(means), T, R, seed=0)
    rng = np.random.default_rng(1)
    ref = np.array([_streaming_reference(kind, means, T, N, rng) for _ in range(R)])
    # two independent samples of R replicates: difference of means within 4 combined standard errors
    se = math.sqrt(fast.stderr**2 + ref.var(ddof=1) / R)
    assert abs(fast.mean - ref.mean()) <= 4 * se


def test_streaming_uniform_exploration_exact_cases_and_bound():
    from theory.bandits import uniform_exploration_regret_bound

    # means 0 and 1: the empirical means are exact, the king is the best arm, the regret is the exploration cost
    means = np.array([0.0, 1.0, 0.0, 0.0])
    T = 10_000
    n = streaming_explore_pulls(T, 4)
    r = simulate_streaming(streaming_uniform_exploration(), bernoulli_bandit(means), T, 5, seed=0)
    np.testing.assert_allclose(r.regret, 3 * n)
    assert n == math.floor((T / 4) ** (2 / 3) * math.log(T) ** (1 / 3))
    # the Hoeffding bound holds by Monte Carlo on a close instance (mean + 3 SE); it is ~5x loose there, and a
    # tenth of it is violated (negative control)
    means = np.array([0.5, 0.52, 0.5, 0.48])
    r = simulate_streaming(streaming_uniform_exploration(), bernoulli_bandit(means), T, 2000, seed=1)
    b = float(uniform_exploration_regret_bound(T, means))
    assert r.mean + 3 * r.stderr <= b
    assert r.mean - 3 * r.stderr > b / 10


def test_gaussian_lai_robbins_constant_and_gaussian_thompson_is_consistent():
    m = np.array([0.0, 0.5, 1.0])
    assert lai_robbins_constant(m, family="gaussian", sigma=2.0) == pytest.approx(2 * 4 / 1.0 + 2 * 4 / 0.5)
    r = simulate(thompson(prior="gaussian"), gaussian_bandit(m), 3000, 100, seed=0)
    # far below the linear regret T * mean gap of uniform play (1500 here)
    assert r.mean + 3 * r.stderr < 0.1 * 3000 * 0.5


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: streaming_explore_pulls(5, 10), "T must be >= K"),
        (lambda: streaming_uniform_exploration(0), "pulls must be an integer"),
        (
            lambda: simulate_streaming(streaming_challenge(50), bernoulli_bandit([0.1, 0.2]), 60, 2),
            "exceeds the horizon",
        ),
        (
            lambda: simulate_streaming(streaming_challenge(), adversarial_bandit(np.zeros((9, 2))), 9, 2),
            "need a stochastic environment",
        ),
        (lambda: lai_robbins_constant([0.0, 1.0], family="poisson"), "family must be"),
    ],
)
def test_streaming_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
