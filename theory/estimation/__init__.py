"""Statistical estimation: what an estimator learns from a given amount and kind of data.

Three parts, one module each (every name is re-exported here, so ``from theory.estimation import ...`` works):

- ``covariate_shift``: maximum likelihood under covariate shift (Ge, Tang, Fan, Ma and Jin, ICLR 2024,
  arXiv:2311.15961): exact and asymptotic target risks of plain and importance-weighted least squares and
  logistic regression, Fisher informations by quadrature, Gaussian density ratios;
- ``generative``: generative against discriminative linear classifiers (Zheng et al., ICML 2023, arXiv:2302.02334):
  exact errors of linear rules under Gaussian classes, the authors' pooled-variance naive Bayes, batched logistic
  regression, sample complexities;
- ``aggregate``: learning from aggregate responses (Javanmard et al., ICLR 2024, arXiv:2401.11081): bag-level and
  instance-level losses, the interpolating estimator, exact finite-sample and proportional-limit risks.

The papers' theorem texts were not read here (their abstracts and, for the second, the authors' released code
were): each formula is derived in its docstring and checked by Monte Carlo in ``sims/estimation``.
"""

from theory.estimation.aggregate import (
    MAX_BAG,
    MAX_RHO,
    BagLosses,
    RiskDecomposition,
    bag_losses,
    bag_risk_exact,
    instance_risk_exact,
    interpolating_estimator,
    interpolating_risk_limit,
    optimal_rho,
    random_bags,
)
from theory.estimation.covariate_shift import (
    MAX_DIM,
    MAX_NOISE_VAR,
    gaussian_density_ratio,
    iwls_asymptotic_risk,
    logistic_fisher,
    logistic_weighted_fisher,
    mle_asymptotic_excess,
    ols_covshift_risk,
    weighted_mle_asymptotic_excess,
)
from theory.estimation.generative import (
    MAX_FEATURES,
    GaussianNBFit,
    LogisticFits,
    easy_gaussian_classes,
    gaussian_bayes_error,
    gaussian_nb_fit,
    isotropic_gaussian_classes,
    linear_rule_error,
    logistic_fit,
    multiclass_rule_error,
    sample_complexity,
    sample_gaussian_classes,
)

__all__ = [
    "MAX_BAG",
    "MAX_DIM",
    "MAX_FEATURES",
    "MAX_NOISE_VAR",
    "MAX_RHO",
    "BagLosses",
    "GaussianNBFit",
    "LogisticFits",
    "RiskDecomposition",
    "bag_losses",
    "bag_risk_exact",
    "easy_gaussian_classes",
    "gaussian_bayes_error",
    "gaussian_density_ratio",
    "gaussian_nb_fit",
    "instance_risk_exact",
    "interpolating_estimator",
    "interpolating_risk_limit",
    "isotropic_gaussian_classes",
    "iwls_asymptotic_risk",
    "linear_rule_error",
    "logistic_fisher",
    "logistic_fit",
    "logistic_weighted_fisher",
    "mle_asymptotic_excess",
    "multiclass_rule_error",
    "ols_covshift_risk",
    "optimal_rho",
    "random_bags",
    "sample_complexity",
    "sample_gaussian_classes",
    "weighted_mle_asymptotic_excess",
]
