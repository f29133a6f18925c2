"""The reported bad-input cases, each pinned: a clear error naming the argument, or the correct finite number.

The sweep over the whole API is ``test_api_fuzz.py``; these are the cases that once gave a silent wrong answer, a
hang or a raw error, with the independent computation that shows the number now returned is right.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from theory import bandits as tb
from theory import hconsistency as th
from theory import multiplicity as tm
from theory import neural_collapse as tn
from theory import online as to
from theory._checks import rng_from, seed_sequence_from

_r = np.random.default_rng(0)
X = _r.normal(size=(20, 2))
Y = (X[:, 0] + 0.8 * _r.normal(size=20) > 0).astype(int)


@pytest.mark.parametrize("c", [1e-150, 1e-8, 1e8, 1e150, 1e200])
def test_fit_logistic_at_any_feature_scale(c):
    """With v = c w, fitting (c X, l2 c^2) is the problem (X, l2): the same predictions, to 1e-8 (and l2 = 0 is
    scale-free outright). Before, 1e200 hung in LAPACK and 1e8..1e150 returned wrong fits."""
    for l2 in (0.0, 1e-2) if c < 1e154 else (0.0,):  # l2 c^2 must stay a float64
        ref = tm.fit_logistic(X, Y, l2=l2)
        f = tm.fit_logistic(X * c, Y, l2=l2 * c * c)
        p_ref = expit(X @ ref.w + ref.b)
        p = expit((X * c) @ f.w + f.b)
        np.testing.assert_allclose(p, p_ref, atol=1e-8)
        assert f.loss == pytest.approx(ref.loss, rel=1e-12)
        assert np.isfinite(f.grad_norm) and f.grad_norm < 1e-10 and f.n_iter <= 50


def test_fit_logistic_matches_sklearn():
    from sklearn.linear_model import LogisticRegression

    f = tm.fit_logistic(X, Y, l2=1e-2)
    m = LogisticRegression(C=1 / (len(X) * 1e-2), tol=1e-12, max_iter=10_000).fit(X, Y)
    np.testing.assert_allclose(f.w, m.coef_[0], rtol=1e-6)
    assert f.b == pytest.approx(m.intercept_[0], rel=1e-6)


def test_separable_data_with_l2_zero_raises_as_documented():
    with pytest.raises(ValueError, match="separable and l2 = 0"):
        tm.fit_logistic([[1, 0.5], [-0.5, -1], [0.8, -0.2]], [1, 0, 1], l2=0.0)
    # a quasi-complete separation (a tie on the boundary) has no minimiser either
    with pytest.raises(ValueError, match="separable and l2 = 0"):
        tm.fit_logistic([[1.0], [0.0], [0.0], [-1.0]], [1, 1, 0, 0], l2=0.0)
    # overlapping classes have one
    assert np.isfinite(tm.fit_logistic([[1.0], [-1.0], [0.5], [-0.5]], [1, 1, 0, 0], l2=0.0).loss)


@pytest.mark.parametrize("c", [1e-150, 1e-8, 1e8, 1e150])
def test_viable_ranges_at_any_feature_scale(c):
    """Logit ranges are invariant under (X, x_q, l2) -> (c X, c x_q, l2 c^2); 1e200 used to hang."""
    lo0, hi0 = tm.viable_logit_range(X, Y, X[:4], 0.01, l2=1e-2)
    lo, hi = tm.viable_logit_range(X * c, Y, X[:4] * c, 0.01, l2=1e-2 * c * c)
    np.testing.assert_allclose(lo, lo0, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(hi, hi0, rtol=1e-8, atol=1e-10)


def test_eps_below_float_resolution_is_refused():
    with pytest.raises(ValueError, match="eps must raise the loss by at least"):
        tm.viable_logit_range(X, Y, X[:2], 1e-300)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: th.margin_loss("hinge", [np.nan]), "a must be finite"),
        (lambda: th.margin_loss("logistic", [np.inf]), "a must be finite"),
        (lambda: th.conditional_margin_risk("hinge", [0.3], [np.nan]), "a must be finite"),
        (lambda: th.comp_sum_pointwise_f([np.nan], 0.5), "s must be finite"),
        (lambda: th.comp_sum_pointwise_f([0.5], np.nan), "tau must be finite"),
        (lambda: tn.collapse_threshold(10, -1e-3, 1e-3, 1), "lambda_W must lie in"),
        (lambda: tn.collapse_threshold(10, 1e-3, 1e-3, 0), "depth must be an integer >= 1"),
        (lambda: tb.kl_ucb_index(np.array([1.5]), np.array([0.1])), r"mean must lie in \[0, 1\]"),
        (lambda: tb.bernoulli_kl(1.5, 0.5), r"p must lie in \[0, 1\]"),
        (lambda: to.optimistic_omd_regret_bound(0.1, 1.0, domain="cube"), "domain must be one of 'ball', 'simplex'"),
        (lambda: to.optimistic_omd_regret_bound(0.1, 1.0, radius=np.nan), "radius must be finite"),
        (lambda: tn.etf_gram(1), "K must be an integer >= 2"),
        (lambda: tb.log_checkpoints(0), "T must be an integer >= 1"),
        (lambda: tn.train_ufm([3, 3], 3, 1, 1e-2, 1e-2, max_iter=-5), "max_iter must be an integer >= 1"),
        (lambda: tn.train_ufm([3, 3], 3, 1, 1e300, 1e-2), r"lambda_W must lie in \(0, 10000\]"),
        (lambda: tb.simulate(tb.ucb1(), tb.BernoulliBandit(np.array([np.nan, 0.5])), 20, 2), "means must be finite"),
        (lambda: tb.BernoulliBandit(np.array([1.5, -0.2])), r"means must lie in \[0, 1\]"),
        (lambda: tb.BernoulliBandit(np.array([0.5])), "means must have at least 2 entries"),
        (lambda: to.OptimisticOMD(True, -1.0), "eta must lie in"),
        (lambda: to.SEAEnvironment(np.zeros((5, 3)), 0.1, "cube"), "domain must be one of 'ball', 'simplex'"),
        (lambda: tb.StreamingAlgorithm("x", "bogus", 3), "kind must be one of 'uniform', 'challenge'"),
        (lambda: tb.switching_loss_table(10, 3, gap=np.nan), "gap must be finite"),
        (lambda: tb.stochastically_constrained_table(10, [0.1]), "gaps must be a 1-d array of K in"),
        (lambda: tb.stochastically_constrained_table(10, [[0.1, 0.2]]), "gaps must be a 1-d array of K in"),
        (lambda: to.simulate_oco(to.optimistic_omd(), to.sea_environment(20, 3, sigma=1e200), 2), "sigma must lie in"),
        (lambda: tb.simulate(tb.ucb1(), None, 20, 2), "env must be a BernoulliBandit or GaussianBandit"),
        (lambda: th.margin_loss("hinge", "abc"), "a must be numeric"),
        (lambda: th.comp_sum_loss([[0.1, 0.2], [0.3]], [0, 1], 1.0), "scores must be numeric"),
        (lambda: tb.switching_loss_table(10, 3, rng=-1), "rng must be None, an integer >= 0"),
        (lambda: tb.simulate(tb.ucb1(), tb.bernoulli_bandit([0.2, 0.5]), 20, 2, seed=1.5), "seed must be None"),
    ],
)
def test_reported_cases_raise_naming_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_ufm_objective_rejects_an_unknown_loss():
    shapes = [(3, 3), (3, 12)]
    params = np.zeros(sum(a * b for a, b in shapes))
    labels = np.repeat(np.arange(3), 4)
    with pytest.raises(ValueError, match="loss must be one of 'mse', 'ce'"):
        tn.ufm_objective(params, shapes, labels, 3, 1e-2, 1e-2, "hinge", False)


def test_nc_metrics_are_scale_free_up_to_1e300():
    r = np.random.default_rng(1)
    H = r.normal(size=(4, 30)) + np.repeat(np.eye(4)[:, :3], 10, axis=1) * 3
    labels = np.repeat(np.arange(3), 10)
    W = r.normal(size=(3, 4))
    base = tn.nc_metrics(H, labels, W)
    for c in (1e-300, 1e300):
        m = tn.nc_metrics(H * c, labels, W * c)
        for k in ("nc1", "nc2_etf", "nc2_orthogonal", "nc3", "nc4"):
            assert getattr(m, k) == pytest.approx(getattr(base, k), rel=1e-9, abs=1e-12), k


def test_regularizer_range_stays_finite_at_huge_K():
    # the rearranged log-barrier range equals the textbook expression where the latter is finite ...
    for K, T in [(10, 1.0), (10, 1e4), (1000, 1e6)]:
        eps = 1 / T
        textbook = -np.log1p(-eps + eps / K) + (K - 1) * np.log(K / eps) - K * np.log(K)
        assert to.regularizer_range(K, "log_barrier", T) == pytest.approx(textbook, rel=1e-12, abs=1e-12)
    # ... and stays finite where the textbook one overflows: (K - 1) ln T + O(ln K)
    v = float(to.regularizer_range(1e300, "log_barrier", 1e4))
    assert v == pytest.approx((1e300 - 1) * np.log(1e4), rel=1e-12)


def test_seed_checks_accept_what_numpy_accepts_and_nothing_else():
    for ok in (None, 0, 7, np.random.SeedSequence(3), np.random.default_rng(1), np.random.PCG64(2)):
        rng_from(ok)
    for bad in (-1, 1.5, "1", True):
        with pytest.raises((ValueError, TypeError), match="rng must be"):
            rng_from(bad)
    assert isinstance(seed_sequence_from(5), np.random.SeedSequence)
    with pytest.raises(ValueError, match="seed must be"):
        seed_sequence_from(-3)


def test_viable_ranges_with_huge_features_answer():
    """Features of 1e200 (the l2 of the equivalent problem underflows): an answer in finite time, not a hang."""
    lo, hi = tm.viable_logit_range(X * 1e200, Y, X[:3] * 1e200, 0.01, l2=1e-2)
    assert np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(lo < hi)
