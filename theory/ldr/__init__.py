"""Label distributionally robust (LDR) losses and top-k consistency.

Zhu, Ying and Yang, "Label Distributionally Robust Losses for Multi-class Classification: Consistency, Robustness and
Adaptivity", ICML 2023 (PMLR 202:43289-43325; arXiv:2112.14869; bib key ``zhu2023label``). Their abstract (read): LDR
losses take the worst case over label distributions; they are top-k consistent for every k >= 1, while a top-1
consistent *symmetric* robust loss cannot be top-k consistent for all k >= 2; an adaptive variant sets a per-instance
temperature. The paper's exact definitions and conditions could not be read here; the LDR-KL loss is encoded in the
form of the authors' released code (read in DixianZhu/LDR, ``loss.py``, class ``LDRLoss_V1``, without its rescaling
of the scores by softplus(f)/mean(softplus(f)), whose presence in the paper's definition is not confirmed;
``benchmarks/anchor_ldr_released_code.py`` runs the class beside ours), and the consistency statements are checked
numerically in that form.

Conventions, stated once. Scores f of shape (m, K) (a batch of m score vectors over K classes), labels y of shape
(m,) in {0..K-1}, margin c >= 0 and temperature lambda > 0. With a_k = c 1[k != y] + f_k - f_y,

    l(f, y) = lambda log( (1/K) sum_k exp(a_k / lambda) )
            = max over p in the simplex of  sum_k p_k a_k - lambda KL(p || uniform)      (Donsker-Varadhan),

computed by log-sum-exp, so scores of 1e4 and lambda from 1e-3 to 1e3 stay finite. lambda -> 0 gives
max_k a_k (the Crammer-Singer hinge, with c the margin); lambda -> infinity gives the mean of a_k; c = 0 gives
lambda-temperature-scaled cross-entropy minus lambda log K. The gradient is p* - e_y with p* = softmax(a / lambda).

Top-k preservation (Yang and Koyejo 2020's definition, restated): f preserves the top k of q when
q_i > q_[k+1] implies f_i > f_[k+1] and q_i < q_[k] implies f_i < f_[k] for every i ([j]: the j-th largest), so
ties of q at the boundary may be broken either way but f may not tie across it.

The package has one module per part (every name is re-exported here, so ``from theory.ldr import ldr_kl_loss``
works as before): ``losses``, the LDR-KL loss, its dual form, its conditional minimiser and top-k preservation;
``adaptive``, the adaptive loss (ALDR-KL) of the authors' released code (DixianZhu/LDR, ``loss.py``,
``ALDRLoss_V1``), with one temperature per training example.
"""

from theory.ldr.adaptive import (
    ALDR_LAM_MIN,
    ALDR_PARAMS,
    ALDR_RESCALES,
    ALDRState,
    aldr_kl_grad,
    aldr_kl_loss,
    aldr_lambda_floor,
    aldr_lambda_objective,
    aldr_lambda_update,
    aldr_optimal_lambda,
)
from theory.ldr.losses import (
    LAM_MARGIN,
    MAX_CLASSES,
    MAX_MARGIN,
    MAX_NEWTON,
    SCORES_LABELS,
    ConditionalMinimizer,
    conditional_minimizer,
    conditional_risk,
    ldr_kl_dual_objective,
    ldr_kl_grad,
    ldr_kl_loss,
    ldr_top1_calibration,
    mae_loss,
    topk_preserving,
)

__all__ = [
    "ALDR_LAM_MIN",
    "ALDR_PARAMS",
    "ALDR_RESCALES",
    "LAM_MARGIN",
    "MAX_CLASSES",
    "MAX_MARGIN",
    "MAX_NEWTON",
    "SCORES_LABELS",
    "ALDRState",
    "ConditionalMinimizer",
    "aldr_kl_grad",
    "aldr_kl_loss",
    "aldr_lambda_floor",
    "aldr_lambda_objective",
    "aldr_lambda_update",
    "aldr_optimal_lambda",
    "conditional_minimizer",
    "conditional_risk",
    "ldr_kl_dual_objective",
    "ldr_kl_grad",
    "ldr_kl_loss",
    "ldr_top1_calibration",
    "mae_loss",
    "topk_preserving",
]
