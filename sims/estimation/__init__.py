"""Statistical estimation: covariate shift, generative vs discriminative classifiers, aggregate responses
(theory/estimation).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.estimation import (  # noqa: F401  (each registers its sim)
    bags_identity_and_exact,
    bags_proportional_limit,
    covshift_logistic,
    covshift_misspecified,
    covshift_ols,
    covshift_weighting,
    nb_fixed_separation,
    nb_vs_lr,
)
from sims.estimation.common import AREA
from sims.estimation.findings import FIGURE, FINDINGS
from sims.estimation.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))
