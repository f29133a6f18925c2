"""Predictive multiplicity of L2-regularised logistic regression: epsilon-level sets, viable prediction ranges,
ambiguity and discrepancy.

J. Watson-Daniels, D. C. Parkes, B. Ustun, "Predictive Multiplicity in Probabilistic Classification" (AAAI 2023);
C. Marx, F. Calmon, B. Ustun, "Predictive Multiplicity in Classification" (ICML 2020) for the 0-1 measures.

Setting: data (x_i, y_i), y_i in {0, 1}, z_i = 2 y_i - 1; parameters theta = (w, b);
L(theta) = (1/n) sum_i log(1 + exp(-z_i (w.x_i + b))) + (l2/2) ||w||^2 (intercept unpenalised; l2 = 1/(n C) in
scikit-learn's terms); theta* its minimiser, g0(x) = sigmoid(w*.x + b*). The epsilon-level (Rashomon) set is
S_eps = {theta : L(theta) <= tau} with tau = L(theta*) + eps (absolute) or (1 + eps) L(theta*) (relative).

Two modules (every name is re-exported here, so ``from theory.multiplicity import ...`` works as before):

- ``level_sets``: the objective, its minimiser, the level set's threshold and the viable logit and prediction
  ranges over it;
- ``measures``: ambiguity and certified discrepancy, their 0-1 versions, the profile at one eps and the
  small-eps half-width.
"""

from theory._solvers import SolverError
from theory.multiplicity._base import EPS_MAX, EPS_MIN_REL, MAX_NEWTON, WEIGHT_MAX, ConvergenceError, LogisticFit
from theory.multiplicity.level_sets import (
    fit_logistic,
    level_set_threshold,
    logistic_objective,
    viable_logit_range,
    viable_prediction_range,
)
from theory.multiplicity.measures import (
    Discrepancy,
    MultiplicityProfile,
    ambiguity,
    discrepancy,
    multiplicity_profile,
    small_eps_half_width,
)

__all__ = [
    "EPS_MAX",
    "EPS_MIN_REL",
    "MAX_NEWTON",
    "WEIGHT_MAX",
    "ConvergenceError",
    "Discrepancy",
    "LogisticFit",
    "MultiplicityProfile",
    "SolverError",
    "ambiguity",
    "discrepancy",
    "fit_logistic",
    "level_set_threshold",
    "logistic_objective",
    "multiplicity_profile",
    "small_eps_half_width",
    "viable_logit_range",
    "viable_prediction_range",
]
