"""Where each width-scaling claim comes from and how surely (see ``sims.engine.provenance``)."""

from sims.engine.provenance import cite

TP4 = "yang2021feature"
TP5 = "yang2022tensor"
MUP = "microsoft2022mup"
FORMS = (
    "the mup package's rules read in its code (microsoft/mup, commit 1981497: mup/layer.py, MuReadout.forward divides "
    "its input by width_mult() and _rescale_parameters multiplies the weights by width_mult()**0.5; mup/optim.py, "
    "MuSGD multiplies the learning rate of vector-like parameters by width_mult() and divides that of matrix-like "
    "ones by fanin_fanout_mult_ratio(), MuAdam divides that of matrix-like ones by width_mult()), a primary source "
    "for the definition; the abc form of Tensor Programs IV (a = (-1/2, 0, 1/2), b = 1/2, c = 0) and Tensor Programs "
    "V's Table 3 (init variance 1/fan_in, 1/fan_in, 1/fan_in^2; SGD rate fan_out, 1, 1/fan_in; Adam 1, 1/fan_in, "
    "1/fan_in) as reproduced in third-party implementations that say they follow those tables (not read in the "
    "papers here)"
)
DERIVED = (
    "the symmetry and the exponent recursion of predicted_update_exponents are derived in the package docstring of "
    "theory/width_scaling/__init__.py (first-order change, O(1) initial residual)"
)

SOURCES = (
    cite(
        "mup_equivalence.*.forms_agree",
        refs=(TP4, TP5, MUP, "theorysims"),
        place="TP4: muP as an abc-parametrisation; TP5, Table 3; mup: MuReadout, MuSGD, MuAdam",
        status="derived",
        basis=FORMS + "; the equivalence follows from the symmetry, " + DERIVED,
    ),
    cite(
        "mup_equivalence.*.negative_control_*",
        "mup_coordinate_check.negative_control_*",
        "mup_random_parametrizations.negative_control_*",
        "mup_lr_transfer.negative_control_*",
        refs="theorysims",
        place="deliberately wrong statements",
        status="derived",
        basis="defined in the sims of sims/width_scaling/",
    ),
    cite(
        "mup_coordinate_check.*.*.*_slope",
        "mup_random_parametrizations.slopes_match_prediction",
        refs=(TP4, "theorysims"),
        place="TP4: muP is the parametrisation with maximal feature learning (features change by Theta(1)); NTK's "
        "features do not move in the limit; SP blows up with a width-independent learning rate",
        status="derived",
        basis=DERIVED + ", with the rule of the mup package's README (an outer-product matrix times a correlated "
        "vector has entries Theta(n) times theirs, an iid matrix Theta(sqrt(n))); the qualitative statements (muP, "
        "NTK, SP) are those of the TP4 abstract and of the mup package's coordinate check, restated; the exponents "
        "for any table are derived here",
    ),
    cite(
        "mup_lr_transfer.*_optimum_*",
        "mup_lr_transfer.sp_optimum_falls_like_1_over_n",
        refs=(TP5, "theorysims"),
        place="TP5: under muP the optimal hyperparameters (the learning rate) are stable across widths (muTransfer)",
        status="restated",
        basis="the abstract of arXiv:2203.03466 (zero-shot hyperparameter transfer under muP), restated; SP's 1/n "
        "drift is derived from the output exponent of predicted_update_exponents; measured on this project's "
        "synthetic regression",
    ),
)
