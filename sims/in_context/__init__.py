"""In-context linear regression with one layer of linear self-attention (Mahankali, Hashimoto, Ma 2024;
theory/in_context.py).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.engine.deprecation import alias_modules, alias_names
from sims.in_context import (  # noqa: F401  (each registers its sim)
    icl_lsa_global,
    icl_nonlinear_targets,
    icl_optimal_step,
    icl_preconditioned,
)
from sims.in_context.common import AREA
from sims.in_context.findings import FIGURE, FINDINGS
from sims.in_context.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))

# The names and modules of the earlier layout keep working, with a DeprecationWarning naming the new ones.
alias_modules({"sims.in_context._common": "sims.in_context.common"})
for _module, _moved in {
    "sims.in_context.icl_lsa_global": {"ICL_LSA_GLOBAL": "SIM", "LSAGlobalConfig": "ICLLSAGlobalConfig"},
    "sims.in_context.icl_nonlinear_targets": {
        "ICL_NONLINEAR_TARGETS": "SIM",
        "NonlinearConfig": "ICLNonlinearTargetsConfig",
    },
    "sims.in_context.icl_optimal_step": {"ICL_OPTIMAL_STEP": "SIM", "OptimalStepConfig": "ICLOptimalStepConfig"},
    "sims.in_context.icl_preconditioned": {
        "ICL_PRECONDITIONED": "SIM",
        "PreconditionedConfig": "ICLPreconditionedConfig",
    },
}.items():
    alias_names(_module, _moved)
