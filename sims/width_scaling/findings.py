"""The report's summary of the width-scaling area: the findings that matter and its figure.

Prose with placeholders ``{claim id}`` filled from the report's rows (see ``sims.engine.areas``).
"""

FINDINGS = (
    (
        "The three forms of muP (the abc form of Tensor Programs IV, Table 3 of Tensor Programs V, the mup package's) "
        "are one network at every width and step, to rounding ({mup_equivalence.sgd.forms_agree} with SGD, "
        "{mup_equivalence.adam.forms_agree} with Adam)."
    ),
    (
        "The first step's change of the last hidden pre-activations scales with the width exactly as the exponents "
        "predict: it stays $O(1)$ under muP (slope off by {mup_coordinate_check.mup.sgd.hidden_slope}), vanishes "
        "like $n^{-1/2}$ under NTK (off by {mup_coordinate_check.ntk.sgd.hidden_slope}) and blows up under SP; the "
        "prediction also holds on randomly drawn parametrisations (worst ratio to the interval "
        "{mup_random_parametrizations.slopes_match_prediction})."
    ),
    (
        "Under muP the best learning rate transfers across widths 64 to 512 (drift "
        "{mup_lr_transfer.mup_optimum_stable} log2 units); under SP it falls like $1/n$ (off by "
        "{mup_lr_transfer.sp_optimum_falls_like_1_over_n})."
    ),
)
FIGURE = "mup_coordinate_check/mup_coordinate_check.png"
