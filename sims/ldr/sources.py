"""Where each claim about the label distributionally robust (LDR) losses comes from and how surely (see
``sims.engine.provenance``)."""

from sims.engine.provenance import cite

LDR = "zhu2023label"
CODE = "zhu2023ldrcode"
LDR_ABSTRACT = (
    "the abstract of arXiv:2112.14869 (read) states top-k consistency of LDR losses for every k >= 1 and that a top-1 "
    "consistent symmetric robust loss cannot be top-k consistent for all k >= 2; the paper's exact definitions and "
    "conditions on lambda and c could not be read, so the LDR-KL loss is encoded in the form of the authors' released "
    "code (read in DixianZhu/LDR, loss.py, class LDRLoss_V1, without its softplus rescaling of the scores; "
    "benchmarks/anchor_ldr_released_code.py runs it beside ours), in the package docstring of theory/ldr/"
)
ALDR_CODE = (
    "the adaptive loss and its temperature update as defined in the authors' released code (read in DixianZhu/LDR, "
    "loss.py, class ALDRLoss_V1, method forward; its experiments' defaults in experiment.py), a primary source for "
    "the definition; benchmarks/anchor_ldr_released_code.py runs the class beside theory.ldr.ALDRState"
)

SOURCES = (
    cite(
        "ldr_dual_form.closed_form_equals_max_over_simplex",
        "ldr_dual_form.limit_lambda_to_*",
        refs=(LDR, CODE, "theorysims"),
        place="the LDR-KL loss (released code: loss.py, LDRLoss_V1) as the worst case over label distributions with "
        "a KL regulariser",
        status="derived",
        basis=LDR_ABSTRACT + "; the dual form (Donsker-Varadhan) and the two limits (with the Hoeffding and log K "
        "bounds) are derived in the docstrings of theory/ldr/ and sims/ldr/ldr_dual_form.py",
    ),
    cite(
        "ldr_dual_form.negative_control_*",
        refs="theorysims",
        place="the LDR-KL loss without its KL term",
        status="derived",
        basis="a deliberately wrong statement, defined in sims/ldr/ldr_dual_form.py",
    ),
    cite(
        "ldr_topk_consistency.preserves_topk_everywhere_on_the_grid",
        "ldr_topk_consistency.minimisers_converged",
        refs=(LDR, "yang2020topk"),
        place="top-k consistency of LDR losses for every k (conditions on lambda and c not located)",
        status="restated",
        basis=LDR_ABSTRACT + "; top-k preservation as defined by Yang and Koyejo (2020), restated in the docstring of "
        "theory/ldr/ (the paper's own tie convention was not read)",
    ),
    cite(
        "ldr_topk_consistency.negative_control_mae_top2",
        refs=(LDR, "theorysims"),
        place="a top-1 consistent symmetric loss (MAE) is not top-k consistent for all k >= 2",
        status="derived",
        basis=LDR_ABSTRACT + "; the certificate q = (0.5, 0.3, 0.2), f_t = (t, 0, 1) is constructed in "
        "sims/ldr/ldr_topk_consistency.py",
    ),
    cite(
        "ldr_calibration.*.matches_brute_force",
        "ldr_calibration.*.positive",
        "ldr_calibration.versus_cross_entropy",
        refs=(LDR, "theorysims"),
        place="top-1 (top-k, k = 1) consistency of LDR losses; the calibration function for K = 3",
        status="derived",
        basis=LDR_ABSTRACT + "; the reduction to one free score is derived in the docstring of "
        "theory.ldr.ldr_top1_calibration and checked by a two-score brute force",
    ),
    cite(
        "ldr_calibration.negative_control_*",
        refs="theorysims",
        place="LDR-KL claimed not top-1 calibrated",
        status="derived",
        basis="a deliberately wrong statement, defined in sims/ldr/ldr_calibration.py",
    ),
    cite(
        "ldr_label_noise.*",
        refs=(LDR, CODE),
        place="robustness of LDR losses to label noise (qualitative, on the paper's benchmarks); ALDR-KL as in "
        "loss.py, ALDRLoss_V1, with experiment.py's defaults",
        status="derived",
        basis="this project's comparison on a linear model (observations, not judged); the paper's abstract (read) "
        "reports stable performance of its adaptive loss under noisy labels on other benchmarks; " + ALDR_CODE,
    ),
    cite(
        "aldr_temperature.update_is_the_argmax",
        "aldr_temperature.floor_*",
        "aldr_temperature.released_defaults_floor",
        "aldr_temperature.*.joint_max_is_a_fixed_point",
        "aldr_temperature.*.code_step_gap",
        refs=(CODE, "theorysims"),
        place="loss.py, ALDRLoss_V1.forward: lambda <- lambda_0 - lambda_0 KL / (alpha log K), the 1e-5 smoothing, "
        "the class defaults alpha = 1, threshold 1",
        status="derived",
        basis=ALDR_CODE + "; the argmax, the floor (with and without smoothing) and the envelope-theorem fixed point "
        "are derived in the docstrings of theory.ldr.aldr_optimal_lambda and aldr_lambda_floor and of "
        "sims/ldr/aldr_temperature.py",
    ),
    cite(
        "aldr_temperature.negative_control_*",
        "aldr_temperature.*.negative_control_*",
        refs="theorysims",
        place="the update without log K; alpha < 1; the fixed point with p computed without the margin",
        status="derived",
        basis="deliberately wrong statements, defined in sims/ldr/aldr_temperature.py",
    ),
    cite(
        "ldr_topk_consistency.aldr_*",
        refs=(LDR, CODE, "theorysims"),
        place="top-k consistency of LDR losses (abstract) for the adaptive loss at its self-consistent temperature",
        status="derived",
        basis=LDR_ABSTRACT + "; " + ALDR_CODE + "; the self-consistent temperature and its c = 0 closed form are "
        "derived in the docstring of sims/ldr/ldr_topk_consistency.py",
    ),
)
