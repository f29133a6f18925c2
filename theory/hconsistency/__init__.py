"""H-consistency and calibration of surrogate losses.

Binary margin losses phi(y h(x)) and their calibration functions psi: for the family of all measurable
scoring functions, with eta = P(y = +1 | x) and t = |2 eta - 1|,

    psi(t) = inf_{a : a (2 eta - 1) <= 0} C_eta(a) - inf_{a in R} C_eta(a),
    C_eta(a) = eta phi(a) + (1 - eta) phi(-a),

is the smallest conditional surrogate regret compatible with a conditional 0-1 regret of t, so that
R_{0-1}(h) - R*_{0-1} <= psi^{-1}(R_phi(h) - R*_phi) (Bartlett, Jordan and McAuliffe 2006; for
non-convex losses, Awasthi, Mao, Mohri and Zhong 2022, where psi need not be convex).
A score of exactly 0 counts as a wrong prediction (the infimum over the wrong side includes a = 0).

The package has one module per part of the theory (all names are re-exported here, so
``from theory.hconsistency import comp_sum_bound`` works as before):

- ``margin``: binary margin losses, their calibration functions and conditional risks;
- ``comp_sum``: the multi-class comp-sum losses (Mao, Mohri and Zhong 2023) and their closed-form bounds;
- ``tightest``: the tightest transformation of a multi-class loss, searched numerically with certificates;
- ``gaps``: minimizability gaps on finite distributions.
"""

from theory.hconsistency._base import MAX_CLASSES_SEARCH, MAX_CLASSES_TIGHT
from theory.hconsistency.comp_sum import (
    as_finite_scores,
    comp_sum_bayes_risk,
    comp_sum_bound,
    comp_sum_grad,
    comp_sum_loss,
    comp_sum_pointwise_f,
    comp_sum_transform,
)
from theory.hconsistency.gaps import (
    MAX_SCORE_SCALE,
    FiniteDistribution,
    LinearScores,
    MinimizabilityGap,
    ScoreBox,
    ball_pointwise_infimum,
    box_pointwise_infimum,
    linear_best_in_class_risk,
    linear_best_zero_one_risk,
    minimizability_gap,
)
from theory.hconsistency.margin import MARGIN_LOSSES, conditional_margin_risk, margin_calibration, margin_loss
from theory.hconsistency.tightest import (
    COLLAPSE_MIN_ITER,
    COLLAPSE_P,
    TightTransform,
    comp_sum_transform_tight,
    tight_transform,
)

__all__ = [
    "COLLAPSE_MIN_ITER",
    "COLLAPSE_P",
    "MARGIN_LOSSES",
    "MAX_CLASSES_SEARCH",
    "MAX_CLASSES_TIGHT",
    "MAX_SCORE_SCALE",
    "FiniteDistribution",
    "LinearScores",
    "MinimizabilityGap",
    "ScoreBox",
    "TightTransform",
    "as_finite_scores",
    "ball_pointwise_infimum",
    "box_pointwise_infimum",
    "comp_sum_bayes_risk",
    "comp_sum_bound",
    "comp_sum_grad",
    "comp_sum_loss",
    "comp_sum_pointwise_f",
    "comp_sum_transform",
    "comp_sum_transform_tight",
    "conditional_margin_risk",
    "linear_best_in_class_risk",
    "linear_best_zero_one_risk",
    "margin_calibration",
    "margin_loss",
    "minimizability_gap",
    "tight_transform",
]
