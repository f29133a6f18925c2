"""Bad input never becomes a silent wrong number: a property-based sweep of the whole public ``theory`` API.

For every public function and class (listed by introspection, so the sweep grows with the API) ``VALID`` holds one
valid call. Hypothesis replaces one argument at a time by a bad or extreme value (NaN, inf, huge, negative, zero,
a string, None, a ragged list, an empty array, an object of the wrong kind) and the call must either

- raise ``ValueError`` or ``TypeError`` whose message names the argument, or
- return a result whose every float is finite (unless the callable is in ``MAY_BE_INFINITE``), without a
  ``RuntimeWarning`` and within ``TIME_BOX_S`` seconds (a hang fails).

A callable missing from ``VALID`` fails ``test_every_public_callable_is_covered``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import pkgutil
import signal
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import theory
import theory._constraints as tc
from theory import bandits as tb
from theory import hconsistency as th
from theory import in_context as ti
from theory import logistic_gd as tl
from theory import multiplicity as tm
from theory import neural_collapse as tn
from theory import online as to
from theory import width_scaling as tw

# every public module of ``theory`` (found on disk, so a new area is swept by existing)
MODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(theory.__path__) if not m.name.startswith("_")))
TIME_BOX_S = 20

# Result records (frozen dataclasses the library returns) and exceptions are not inputs.
RESULTS = {
    "TightTransform",
    "MinimizabilityGap",
    "NotSeparableError",
    "ConvergenceError",
    "Path",
    "NCMetrics",
    "UFMSolution",
    "TrainedUFM",
    "LogisticFit",
    "Discrepancy",
    "MultiplicityProfile",
    "State",
    "BanditResult",
    "OCOResult",
    "LSAFit",
    "ConditionalMinimizer",
    "SpanFit",
    "FDivergence",
    "UnlearningPath",
    "LionPath",
    "EF21Path",
    "Kinetic",
    "LogisticUnlearningPath",
    "Parametrization",
    "MLPParams",
    "Forward",
    "CoordinateCheck",
    "LRSweep",
    "LogisticFits",
    "GaussianNBFit",
    "BagLosses",
    "RiskDecomposition",
}

_r = np.random.default_rng(0)
X = _r.normal(size=(20, 2))
Y = (X[:, 0] + 0.8 * _r.normal(size=20) > 0).astype(int)
A_SEP = np.array([[1.0, 0.5], [0.8, 1.0], [-1.0, -0.4], [-0.6, -1.2]])
Y_SEP = np.array([1.0, 1.0, -1.0, -1.0])
H = _r.normal(size=(3, 12))
LAB = np.repeat(np.arange(3), 4)
DIST = th.FiniteDistribution(np.array([[0.0], [1.0]]), np.array([0.5, 0.5]), np.array([[0.7, 0.3], [0.2, 0.8]]))
SEA = to.sea_environment(50, 3, 0.1, 0.1, 1.0, "ball", rng=0)
BERN = tb.bernoulli_bandit([0.2, 0.5])
FIT = tm.fit_logistic(X, Y)
PX, PY, PXQ, PYQ = ti.sample_prompts(30, 4, 2, rng=0, noise_var=0.5)
W3 = _r.normal(size=(3, 3))
MLP = tw.mlp_init([2, 4, 4, 1], "mup", 0)
COV_S = np.array([[1.0, 0.3], [0.3, 0.8]])
COV_T = np.array([[1.2, -0.2], [-0.2, 0.9]])


def mae_loss_ref(scores, y):
    from theory.ldr import mae_loss

    return mae_loss(scores, y)


def _ufm_args():
    shapes = [(3, 3), (3, 12)]
    params = _r.normal(size=sum(a * b for a, b in shapes))
    return {"params": params, "shapes": shapes, "labels": LAB, "K": 3, "lambda_W": 1e-2, "lambda_H": 1e-2}


# a viable range of the logistic level set (viable_logit_range takes one argument more)
VIABLE_RANGE = {
    "X": X,
    "y": Y,
    "X_query": X[:2],
    "eps": 0.01,
    "l2": 1e-2,
    "relative": False,
    "method": "fast",
    "fit_intercept": True,
}

# the continuous-time Lion-K at one state (lion_k_ode_field and lion_k_lyapunov_rate take the same arguments)
LION_ODE_STATE = {
    "x": [0.5, -0.5],
    "m": [1.0, 2.0],
    "grad_fx": [0.3, 0.4],
    "alpha": 1.0,
    "gamma": 1.0,
    "eps": 0.5,
    "lam": 1.0,
    "kinetic": "logcosh",
}

VALID: dict[str, dict] = {
    "ldr_kl_loss": {"scores": [[1.0, 0.0, -1.0]], "y": [0], "lam": 0.5, "margin": 1.0},
    "ldr_kl_grad": {"scores": [[1.0, 0.0, -1.0]], "y": [0], "lam": 0.5, "margin": 1.0},
    "ldr_kl_dual_objective": {
        "p": [[0.2, 0.3, 0.5]],
        "scores": [[1.0, 0.0, -1.0]],
        "y": [0],
        "lam": 0.5,
        "margin": 1.0,
    },
    # one row: the generated extremes of ``scores`` are one-row batches (the per-row shape relations are still
    # generated: a lam of two values for one row)
    "aldr_kl_loss": {"scores": [[1.0, 0.0, -1.0]], "y": [0], "lam": [0.5], "lam0": 1.0, "alpha": 2.0, "margin": 1.0},
    "aldr_kl_grad": {"scores": [[1.0, 0.0, -1.0]], "y": [0], "lam": [0.5], "margin": 1.0},
    "aldr_lambda_update": {
        "scores": [[1.0, 0.0, -1.0]],
        "lam": [0.5],
        "lam0": 1.0,
        "alpha": 2.0,
        "smoothing": 1e-5,
    },
    "aldr_lambda_objective": {"lam": [0.5, 1.0], "kl": [0.1, 0.2], "lam0": 1.0, "alpha": 2.0, "n_classes": 3},
    "aldr_optimal_lambda": {"kl": [0.1, 0.2], "lam0": 1.0, "alpha": 2.0, "n_classes": 3},
    "aldr_lambda_floor": {"lam0": 1.0, "alpha": 2.0, "n_classes": 3, "smoothing": 1e-5},
    "ALDRState": {"n": 4, "lam0": 1.0, "alpha": 2.0, "margin": 0.1, "rescale": "l1", "smoothing": 1e-5},
    "conditional_minimizer": {
        "q": [[0.2, 0.3, 0.5]],
        "lam": 0.5,
        "margin": 1.0,
        "tol": 1e-10,
        "init": [[0.0, 0.0, 0.0]],
    },
    "topk_preserving": {"f": [[1.0, 0.0, -1.0]], "q": [[0.5, 0.3, 0.2]], "k": 1},
    "mae_loss": {"scores": [[1.0, 0.0, -1.0]], "y": [0]},
    "ldr_top1_calibration": {"t": [0.3, 0.6], "lam": 1.0, "margin": 1.0, "n_grid": 5},
    "conditional_risk": {"loss": mae_loss_ref, "f": [[1.0, 0.0, -1.0]], "q": [[0.5, 0.3, 0.2]]},
    "optimal_gd_step": {"n": 20, "d": 5, "noise_var": 0.5},
    "one_step_gd_risk": {"eta": [0.1, 0.5], "n": 20, "d": 5, "noise_var": 0.5},
    "optimal_preconditioner": {"cov": np.diag([1.0, 2.0]), "n": 10, "noise_var": 0.5},
    "best_scalar_step": {"cov": np.diag([1.0, 2.0]), "n": 10, "noise_var": 0.5},
    "preconditioned_gd_risk": {"G": 0.5 * np.eye(2), "cov": np.diag([1.0, 2.0]), "n": 10, "noise_var": 0.5},
    "sample_prompts": {"m": 5, "n": 4, "d": 2, "rng": 0, "cov": np.eye(2), "noise_var": 0.5, "target": np.tanh},
    "gd_statistic": {"X": PX, "y": PY},
    "one_step_gd_predict": {"G": 0.5, "X": PX, "y": PY, "x_query": PXQ},
    "lsa_forward": {"W_kq": W3, "W_pv": W3, "X": PX, "y": PY, "x_query": PXQ},
    "fit_lsa": {
        "X": PX,
        "y": PY,
        "x_query": PXQ,
        "y_query": PYQ,
        "n_starts": 1,
        "rng": 0,
        "max_iter": 50,
        "gd_tol": 0.05,
    },
    "fit_preconditioner": {"X": PX, "y": PY, "x_query": PXQ, "y_query": PYQ},
    "lsa_span_features": {"X": PX, "y": PY, "x_query": PXQ},
    "span_weights": {"coef": np.arange(12.0), "d": 2},
    "lsa_span_fit": {"X": PX, "y": PY, "x_query": PXQ, "y_query": PYQ},
    "lsa_span_coefficients": {"W_kq": W3, "W_pv": W3},
    "bayes_ridge_predict": {"X": PX, "y": PY, "x_query": PXQ, "noise_var": 0.5},
    # hconsistency
    "margin_loss": {"loss": "rho_margin", "a": [0.5, -1.0], "k": 1.0, "rho": 0.5},
    "margin_calibration": {"loss": "logistic", "t": [0.1, 0.5]},
    "conditional_margin_risk": {"loss": "logistic", "eta": [0.3], "a": [0.5], "k": 1.0, "rho": 1.0},
    "comp_sum_loss": {"scores": [[0.1, 0.5, -0.2]], "y": [1], "tau": 1.0},
    "comp_sum_grad": {"scores": [[0.1, 0.5, -0.2]], "y": [1], "tau": 1.0},
    "as_finite_scores": {"scores": [[0.1, 0.5]]},
    "comp_sum_pointwise_f": {"s": [0.2, 0.7], "tau": 0.5},
    "comp_sum_bayes_risk": {"p": [[0.2, 0.8]], "tau": 1.0},
    "comp_sum_transform": {"t": [0.1, 0.5], "tau": 1.0, "n_classes": 3},
    "comp_sum_bound": {"eps": [0.1], "tau": 1.0, "n_classes": 3},
    "tight_transform": {"loss": 1.0, "n_classes": 2, "t": [0.5], "n_starts": 0, "seed": 0, "score_bound": None},
    "comp_sum_transform_tight": {"t": [0.1, 0.5], "tau": 1.0, "n_classes": 3},
    "FiniteDistribution": {"x": [[0.0], [1.0]], "px": [0.5, 0.5], "p_y": [[0.7, 0.3], [0.2, 0.8]]},
    "ScoreBox": {"Lambda": 1.0},
    "LinearScores": {"B": 1.0},
    "minimizability_gap": {"loss": 1.0, "dist": DIST, "hypothesis": th.ScoreBox(1.0), "seed": 0},
    "box_pointwise_infimum": {"tau": 1.0, "p": [0.7, 0.3], "Lambda": 1.0, "rng": 0},
    "ball_pointwise_infimum": {"tau": 0.5, "p": [0.7, 0.3], "radius": 1.0, "rng": 0, "index": 0},
    "linear_best_in_class_risk": {"tau": 0.5, "dist": DIST, "B": 1.0, "rng": 0, "convex": None},
    "linear_best_zero_one_risk": {"dist": DIST, "B": 1.0, "rng": 0, "n_dirs": 50},
    # logistic_gd
    "check_data": {"A": A_SEP, "y": Y_SEP},
    "logistic_loss": {"theta": [0.1, 0.2], "A": A_SEP, "y": Y_SEP},
    "logistic_grad": {"theta": [0.1, 0.2], "A": A_SEP, "y": Y_SEP},
    "lr_gd": {"A": A_SEP, "y": Y_SEP, "step": 1.0, "n_iters": 5, "theta0": [0.1, -0.2], "normalized": False},
    "batch_perceptron": {"A": A_SEP, "y": Y_SEP, "n_iters": 5, "normalized": False, "theta0": [0.1, -0.2]},
    "margin": {"A": A_SEP, "y": Y_SEP},
    "batch_perceptron_iteration_bound": {"n": 4, "R": 1.5, "mu": 0.3},
    "normalized_perceptron_iteration_bound": {"R": 1.5, "mu": 0.3},
    "normalized_lr_gd_iteration_bound": {"n": 4, "R": 1.5, "mu": 0.3, "step": 1.0},
    "step_size_paradox_dataset": {},
    "perceptron_worst_case_dataset": {"n": 5},
    "perceptron_worst_case_iterations": {"n": 10, "normalized": False},
    "planted_margin_dataset": {"n": 10, "d": 3, "mu": 0.1, "rng": 0},
    # neural_collapse
    "simplex_etf": {"K": 3, "d": 4, "rng": 0},
    "etf_gram": {"K": 3},
    "nc_metrics": {"H": H, "labels": LAB, "W": None, "b": None, "n_classes": None},
    "collapse_threshold": {"N": 10, "lambda_W": 1e-3, "lambda_H": 1e-3, "depth": 2},
    "collapse_ratio_threshold": {"depth": 3},
    "stationary_ratio_threshold": {"depth": 3},
    "ufm_mse_solution": {
        "class_sizes": [5, 3],
        "lambda_W": 1e-2,
        "lambda_H": 1e-2,
        "depth": 1,
        "bias": False,
        "rule": "global",
    },
    "ufm_mse_parameters": {
        "class_sizes": [5, 3],
        "lambda_W": 1e-2,
        "lambda_H": 1e-2,
        "depth": 1,
        "bias": False,
        "d": 3,
        "rule": "global",
    },
    "ufm_objective": {**_ufm_args(), "loss": "mse", "bias": False},
    "train_ufm": {
        "class_sizes": [3, 3],
        "d": 3,
        "depth": 1,
        "lambda_W": 1e-2,
        "lambda_H": 1e-2,
        "loss": "mse",
        "bias": False,
        "seed": 0,
        "restarts": 1,
        "max_iter": 30,
        "init": "random",
    },
    # multiplicity
    "logistic_objective": {"theta": [0.1, 0.2, 0.0], "X": X, "y": Y, "l2": 1e-2, "fit_intercept": True},
    "fit_logistic": {"X": X, "y": Y, "l2": 1e-2, "fit_intercept": True},
    "level_set_threshold": {"fit": FIT, "eps": 0.01, "relative": False},
    "viable_logit_range": {**VIABLE_RANGE, "return_models": False},
    "viable_prediction_range": VIABLE_RANGE,
    "ambiguity": {
        "X": X,
        "y": Y,
        "eps": 0.01,
        "delta": 0.05,
        "l2": 1e-2,
        "relative": False,
        "zero_one": False,
        "fit_intercept": True,
    },
    "discrepancy": {
        "X": X,
        "y": Y,
        "eps": 0.01,
        "delta": 0.05,
        "l2": 1e-2,
        "relative": False,
        "zero_one": False,
        "fit_intercept": True,
        "greedy_rounds": 30,
    },
    "multiplicity_profile": {
        "X": X,
        "y": Y,
        "eps": 0.01,
        "deltas": [0.05, 0.1],
        "l2": 1e-2,
        "relative": False,
        "fit_intercept": True,
        "greedy_rounds": 30,
    },
    "small_eps_half_width": {"X": X, "y": Y, "X_query": X[:2], "eps": 0.01, "l2": 1e-2, "fit_intercept": True},
    # bandits
    "BernoulliBandit": {"means": np.array([0.2, 0.5])},
    "GaussianBandit": {"means": np.array([0.2, 0.5]), "sigma": 1.0},
    "AdversarialBandit": {"loss_table": np.full((10, 2), 0.5), "kind": "adversarial"},
    "bernoulli_bandit": {"means": [0.2, 0.5]},
    "gaussian_bandit": {"means": [0.2, 0.5], "sigma": 1.0},
    "adversarial_bandit": {"loss_table": np.full((10, 2), 0.5)},
    "switching_loss_table": {"T": 20, "K": 3, "gap": 0.2, "rng": 0},
    "stochastically_constrained_table": {"T": 20, "gaps": [0.0, 0.2], "rng": 0},
    "ftl_killer_table": {"T": 20},
    "Policy": {"name": "p", "params": {}, "full_information": False, "randomised": False, "bounded_rewards": False},
    "ucb1": {},
    "bernoulli_kl": {"p": [0.2], "q": [0.5]},
    "kl_ucb_index": {"mean": np.array([0.2, 0.6]), "budget": np.array([0.5, 0.1]), "iterations": 10},
    "kl_ucb": {"c": 0.0, "lazy": True},
    "thompson": {"prior": "beta", "sigma": 1.0},
    "exp3": {"eta": 0.1},
    "tsallis_weights": {"L_hat": np.array([[0.0, 1.0, 2.0]]), "eta": 0.5},
    "tsallis_inf": {"estimator": "iw"},
    "hedge": {"eta": 0.1},
    "follow_the_leader": {},
    "log_checkpoints": {"T": 100, "n": 10},
    "simulate": {"policy": tb.ucb1(), "env": BERN, "horizon": 50, "n_reps": 2, "seed": 0},
    "hedge_regret_bound": {"T": 100, "K": 3},
    "exp3_regret_bound": {"T": 100, "K": 3},
    "tsallis_inf_regret_bound": {"T": 100, "K": 3, "estimator": "iw"},
    "ucb1_regret_bound": {"T": 100, "means": [0.2, 0.5]},
    "lai_robbins_constant": {"means": [0.2, 0.5], "family": "bernoulli", "sigma": 1.0},
    "streaming_explore_pulls": {"T": 1000, "K": 3},
    "StreamingAlgorithm": {"name": "s", "kind": "uniform", "pulls": 3},
    "streaming_uniform_exploration": {"pulls": 3},
    "streaming_challenge": {"pulls": 3},
    "simulate_streaming": {"alg": tb.streaming_uniform_exploration(), "env": BERN, "horizon": 100, "n_reps": 2},
    "uniform_exploration_regret_bound": {"T": 1000, "means": [0.2, 0.5], "pulls": None},
    "streaming_rate": {"T": 1000, "K": 3},
    "streaming_lower_bound_rate": {"T": 1000, "K": 3},
    "streaming_single_arm_rate": {"T": 1000, "K": 3},
    # online
    "ftrl_weights": {"L": np.array([[0.0, 1.0, 2.0]]), "eta": 0.5, "regularizer": "negentropy"},
    "omd_step": {
        "w": np.array([[0.2, 0.3, 0.5]]),
        "loss": np.array([[0.1, 0.0, 1.0]]),
        "eta": 0.5,
        "regularizer": "tsallis",
    },
    "regularizer_range": {"K": 3, "regularizer": "log_barrier", "T": 100.0},
    "ftrl_tuned_eta": {"T": 100, "K": 3, "regularizer": "negentropy"},
    "ftrl_regret_bound": {"T": 100, "K": 3, "regularizer": "negentropy", "eta": None},
    "ftrl": {"regularizer": "negentropy", "eta": None},
    "omd": {"regularizer": "negentropy", "eta": None},
    "SEAEnvironment": {"means": np.zeros((20, 3)), "sigma": 0.1, "domain": "ball", "radius": 1.0},
    "sea_environment": {"T": 20, "d": 3, "sigma": 0.1, "adversarial": 0.1, "drift": 1.0, "domain": "ball", "rng": 0},
    "optimistic_omd_regret_bound": {"eta": 0.1, "hint_error": 1.0, "domain": "ball", "d": 3, "radius": 1.0},
    "sea_regret_bound": {"env": SEA, "optimistic": True},
    "OptimisticOMD": {"optimistic": True, "eta": 0.1},
    "optimistic_omd": {"optimistic": True, "eta": 0.1},
    "simulate_oco": {"alg": to.optimistic_omd(), "env": SEA, "n_reps": 2, "seed": 0},
    # preference
    "f_divergence": {"name": "jensen_shannon", "alpha": None},
    "f_regularized_optimum": {
        "r": [1.0, 0.0, -2.0],
        "pi_ref": [0.2, 0.3, 0.5],
        "beta": 0.5,
        "divergence": "alpha",
        "alpha": 0.5,
    },
    "off_support_mass": {
        "r": [1.0, 0.0, 3.0],
        "pi_ref": [0.5, 0.5, 0.0],
        "beta": 0.5,
        "divergence": "forward_kl",
        "alpha": None,
    },
    "optimum_ratio_bounds": {
        "r": [1.0, 0.0, -2.0],
        "pi_ref": [0.2, 0.3, 0.5],
        "beta": 0.5,
        "divergence": "jensen_shannon",
        "alpha": None,
    },
    "implied_reward": {
        "pi": [0.25, 0.25, 0.5],
        "pi_ref": [0.2, 0.3, 0.5],
        "beta": 0.5,
        "divergence": "alpha",
        "alpha": 0.3,
    },
    "fdpo_loss": {
        "logp_w": [-1.0, -2.0],
        "logp_l": [-2.0, -1.0],
        "ref_w": [-1.5, -1.5],
        "ref_l": [-1.5, -1.5],
        "beta": 0.1,
        "divergence": "jensen_shannon",
        "alpha": None,
    },
    "npo_loss": {"logp": [-1.0, -3.0], "logp_ref": [-2.0, -2.0], "beta": 0.5},
    "ga_loss": {"logp": [-1.0, -3.0]},
    "npo_weight": {"logp": [-1.0, -3.0], "logp_ref": [-2.0, -2.0], "beta": 0.5},
    "tabular_unlearning_flow": {
        "logits0": [0.5, 0.0, -0.5],
        "forget": 0,
        "times": [0.0, 1.0, 2.0],
        "method": "npo",
        "beta": 1.0,
    },
    "logistic_unlearning_run": {
        "X": [[1.0, 0.0], [0.0, 1.0]],
        "y": [1.0, -1.0],
        "theta_init": [0.1, 0.2],
        "eta": 0.5,
        "n_steps": 20,
        "method": "npo",
        "beta": 1.0,
        "record": [0, 10, 20],
    },
    # optimizers
    "lion_k_step": {
        "x": [0.5, -0.2],
        "m": [0.1, 0.0],
        "grad": [1.0, -1.0],
        "eta": 0.1,
        "lam": 1.0,
        "beta1": 0.9,
        "beta2": 0.99,
        "grad_K": np.sign,
        "convention": "paper",
    },
    "lion_equivalent_beta1": {"beta1": 0.9, "beta2": 0.99},
    "lion_run": {
        "grad_f": lambda x: x - 3.0,
        "x0": [0.0, 0.5],
        "eta": 0.1,
        "lam": 1.0,
        "beta1": 0.9,
        "beta2": 0.99,
        "n_steps": 20,
        "convention": "paper",
        "average_from": 0.5,
    },
    "lion_box_excess_bound": {"excess0": 2.0, "eta": 0.1, "lam": 1.0, "t": 10.0},
    "lion_kinetic": {"kinetic": "logcosh"},
    "abc_parametrization": {"a": [-0.5, 0.0, 0.5], "b": 0.5, "c": 0.0, "c_adam": None},
    "predicted_update_exponents": {"parametrization": "mup", "optimizer": "sgd"},
    "mlp_init": {"widths": [2, 4, 4, 1], "parametrization": "sp", "rng": 0},
    "mlp_forward": {"params": MLP, "x": np.ones((3, 2))},
    "mlp_one_step": {
        "params": MLP,
        "x": np.ones((3, 2)),
        "y": np.zeros((3, 1)),
        "lr": 0.1,
        "optimizer": "adam",
        "adam_eps": 1e-8,
    },
    "coordinate_check": {
        "parametrization": "ntk",
        "widths": [4, 8],
        "seeds": 2,
        "optimizer": "sgd",
        "lr": 1e-6,
        "steps": 1,
        "d_in": 2,
        "batch": 2,
        "seed": 0,
        "confidence": 0.95,
        "first_order": False,
    },
    "lr_sweep": {
        "parametrization": "mup",
        "widths": [4, 8],
        "log2_lrs": [-2.0, 0.0, 2.0],
        "steps": 3,
        "seeds": 1,
        "n_samples": 4,
        "d_in": 2,
        "seed": 0,
    },
    "tanh_teacher": {"n_samples": 4, "d_in": 2, "seed": 0},
    # statistical estimation (theory/estimation)
    "ols_covshift_risk": {"cov_source": COV_S, "cov_target": COV_T, "n": 10, "noise_var": 1.0},
    "iwls_asymptotic_risk": {"cov_source": COV_S, "cov_target": COV_T, "noise_var": 1.0},
    "gaussian_density_ratio": {
        "x": [[0.0, 1.0], [1.0, -1.0]],
        "mean_source": [0.0, 0.0],
        "cov_source": COV_S,
        "mean_target": [0.5, 0.0],
        "cov_target": COV_T,
    },
    "logistic_fisher": {"beta": [0.2, 1.0, -0.5], "mean": [0.0, 0.5], "cov": COV_S},
    "logistic_weighted_fisher": {
        "beta": [0.2, 1.0, -0.5],
        "mean_source": [0.0, 0.0],
        "cov_source": COV_S,
        "mean_target": [0.5, 0.0],
        "cov_target": COV_T,
    },
    "mle_asymptotic_excess": {"fisher_target": np.eye(3), "fisher_source": 2 * np.eye(3)},
    "weighted_mle_asymptotic_excess": {"fisher_target": np.eye(3), "weighted_fisher": 2 * np.eye(3)},
    "logistic_fit": {
        "X": X,
        "y": Y,
        "sample_weight": None,
        "C": None,
        "fit_intercept": True,
        "max_iter": 100,
        "tol": 1e-12,
    },
    "gaussian_nb_fit": {"X": X, "y": Y, "var_smoothing": 1e-9},
    "linear_rule_error": {"w": [1.0, 0.5], "b": 0.1, "means": [[-1.0, -1.0], [1.0, 1.0]], "cov": COV_S},
    "gaussian_bayes_error": {"means": [[-1.0, -1.0], [1.0, 1.0]], "cov": COV_S},
    "multiclass_rule_error": {
        "W": [[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]],
        "b": [0.0, 0.1, 0.0],
        "means": [[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]],
        "cov": COV_S,
    },
    "easy_gaussian_classes": {"n_features": 4},
    "isotropic_gaussian_classes": {"n_features": 4, "bayes_error": 0.1},
    "sample_gaussian_classes": {
        "means": [[-1.0, -1.0], [1.0, 1.0]],
        "cov": COV_S,
        "n_samples": 6,
        "replicates": 2,
        "rng": 0,
    },
    "sample_complexity": {
        "sizes": [4.0, 8.0, 16.0],
        "mean_errors": [0.3, 0.2, 0.1],
        "asymptotic_error": 0.1,
        "eps": 0.01,
    },
    "bag_losses": {"X": X, "y": X[:, 0], "bags": np.arange(20) // 4, "theta": [0.5, -0.5]},
    "interpolating_estimator": {"X": X, "y": X[:, 0], "bags": np.arange(20) // 4, "rho": 0.5},
    "random_bags": {"n": 12, "k": 3, "rng": 0},
    "bag_risk_exact": {"n": 40, "d": 3, "k": 2, "noise_var": 1.0},
    "instance_risk_exact": {"n": 40, "d": 3, "k": 2, "noise_var": 1.0, "signal2": 1.0},
    "interpolating_risk_limit": {"gamma": 0.2, "k": 2, "rho": 0.5, "noise_var": 1.0, "signal2": 1.0},
    "optimal_rho": {"gamma": 0.2, "k": 2, "noise_var": 1.0, "signal2": 1.0},
    "lion_ode_params": {"eta": 0.01, "beta1": 0.9, "beta2": 0.99},
    "lion_k_lyapunov": {
        "x": [0.5, -0.5],
        "m": [1.0, 2.0],
        "f_x": 0.25,
        "alpha": 1.0,
        "gamma": 1.0,
        "eps": 0.5,
        "lam": 1.0,
        "kinetic": "logcosh",
    },
    "lion_k_ode_field": LION_ODE_STATE,
    "lion_k_lyapunov_rate": LION_ODE_STATE,
    "ef21_constants": {"alpha": 0.5},
    "top_k": {"V": [[3.0, -4.0, 1.0]], "k": 2},
    "smoothness_means": {"L_i": [1.0, 7.0]},
    "ef21_stepsize": {"L": 1.0, "L_i": [1.0, 7.0], "alpha": 0.5, "mean": "AM"},
    "ef21_initial_error": {
        "g0": [[1.0, 0.0], [0.0, 0.0]],
        "grads0": [[0.0, 0.0], [0.0, 2.0]],
        "L_i": [1.0, 3.0],
        "weighted": True,
    },
    "ef21_rate_bound": {"delta0": 1.0, "gamma": 0.1, "T": 100.0, "G0": 2.0, "theta": 0.5},
    "ef21w_weights": {"L_i": [1.0, 3.0]},
    "weighted_smoothness": {"L_i": [1.0, 7.0], "w": [0.5, 0.5]},
    "ef21_run": {
        "client_grads": lambda x: np.array([x, 2 * x]),
        "x0": [1.0, 1.0],
        "gamma": 0.1,
        "n_steps": 5,
        "compressor": lambda V: V,
        "f_inf": 0.0,
        "alpha": 1.0,
        "L_i": [1.0, 2.0],
        "weights": None,
        "loss": lambda x: 0.75 * float(x @ x),
    },
}
MODS = {"hconsistency": th, "logistic_gd": tl, "neural_collapse": tn, "multiplicity": tm, "bandits": tb, "online": to}

# Callables whose documented value can be +inf at valid extremes (e.g. KL to a point mass).
# lr_sweep: inf marks a diverged run; the estimation risks are documented +inf where the expectation diverges
MAY_BE_INFINITE = {
    "bernoulli_kl",
    "kl_ucb_index",
    "lr_sweep",
    "ols_covshift_risk",
    "iwls_asymptotic_risk",
    "gaussian_density_ratio",
    "logistic_weighted_fisher",
    "weighted_mle_asymptotic_excess",
    "sample_complexity",
    "bag_risk_exact",
    "instance_risk_exact",
    "interpolating_risk_limit",
}

BAD = [
    math.nan,
    math.inf,
    -math.inf,
    1e300,
    -1e300,
    -1,
    0,
    -0.5,
    1e-300,
    2**63,
    "abc",
    None,
    [],
    [[1.0, 2.0], [3.0]],
    np.array([]),
    np.array([[math.nan]]),
    object(),
    True,
]


def _public():
    """Every function and class an area exports (its ``__all__``), wherever in the area's package it is defined."""
    out = {}
    for m in MODULES:
        mod = importlib.import_module(f"theory.{m}")
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not str(getattr(obj, "__module__", "")).startswith(mod.__name__):
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                out[name] = obj
    return out


PUBLIC = _public()
CALLABLES = sorted(n for n in PUBLIC if n not in RESULTS)


def test_every_public_callable_is_covered():
    missing = [n for n in CALLABLES if n not in VALID]
    assert not missing, f"add a valid call to VALID for: {missing}"


@pytest.mark.parametrize("name", CALLABLES)
def test_valid_call_is_finite(name):
    _call_ok(name, VALID[name])


@contextmanager
def _time_box(seconds: int):
    def handler(signum, frame):
        raise TimeoutError(f"no answer within {seconds} s (a hang)")

    old = signal.signal(signal.SIGALRM, handler)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _floats(obj, depth=0):
    if depth > 4:
        return
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc":
            yield from np.ravel(obj)
    elif isinstance(obj, float | np.floating):
        yield float(obj)
    elif isinstance(obj, tuple | list):
        for x in obj:
            yield from _floats(x, depth + 1)
    elif dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from _floats(getattr(obj, f.name), depth + 1)


def _call_ok(name, kwargs):
    fn = PUBLIC[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with _time_box(TIME_BOX_S):
            out = fn(**kwargs)
    if name not in MAY_BE_INFINITE:
        vals = np.array(list(_floats(out)), dtype=float)
        assert np.all(np.isfinite(vals)), f"{name}({_show(kwargs)}) returned non-finite values silently"
    return out


def _show(kwargs):
    return ", ".join(f"{k}={v!r:.40}" for k, v in kwargs.items())


PAIRS = [(n, p) for n in CALLABLES for p in VALID.get(n, {})]


def _costly(name, param, bad):
    """A valid value of an argument declared costly (work grows with it: a horizon, replicates) beyond a probe: a
    valid call that takes as long as it takes, which a time box would measure as the machine, not the code."""
    c = getattr(PUBLIC[name], "__constraints__", {}).get(param)
    return (
        isinstance(c, tc.Integer)
        and c.costly
        and isinstance(bad, int)
        and not isinstance(bad, bool)
        and 1000 < bad <= (c.hi if c.hi is not None else bad)
    )


def _check_one(name, param, bad):
    if _costly(name, param, bad):
        return
    kwargs = dict(VALID[name]) | {param: bad}
    try:
        _call_ok(name, kwargs)
    except (ValueError, TypeError) as e:
        msg = str(e)
        assert param in msg or param.lower() in msg.lower(), (
            f"{name}({param}={bad!r:.40}) raised {type(e).__name__} without naming {param!r}: {msg}"
        )


@pytest.mark.parametrize("name", CALLABLES)
def test_every_bad_value_on_every_argument(name):
    """Exhaustive: each argument of each callable against every value in BAD."""
    for param in VALID[name]:
        for bad in BAD:
            _check_one(name, param, bad)


# generated values beyond the fixed pool: any float (NaN, inf, subnormals, huge), any integer (past int64), text,
# ragged and nested lists
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=5),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4),
    st.lists(st.lists(st.floats(-10, 10), max_size=3), max_size=3),
    st.sampled_from(BAD),
)


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(pair=st.sampled_from(PAIRS), bad=VALUES)
def test_generated_argument_gives_a_clear_error_or_a_finite_result(pair, bad):
    _check_one(*pair, bad)
