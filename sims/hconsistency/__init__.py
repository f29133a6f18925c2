"""H-consistency and surrogate losses: calibration functions and H-consistency transformations checked by brute-force
minimisation and global search (theory/hconsistency).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.engine.deprecation import alias_modules, alias_names
from sims.hconsistency import (  # noqa: F401  (each registers its sim)
    comp_sum_bounded,
    comp_sum_budget,
    comp_sum_tightness,
    hconsistency_bound,
    margin_calibration,
    minimizability_gaps,
)
from sims.hconsistency.common import AREA
from sims.hconsistency.findings import FIGURE, FINDINGS
from sims.hconsistency.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))

# The names and modules of the earlier layout keep working, with a DeprecationWarning naming the new ones.
alias_modules({"sims.hconsistency._common": "sims.hconsistency.common"})
for _module, _moved in {
    "sims.hconsistency.comp_sum_bounded": {"BoundedConfig": "CompSumBoundedConfig", "COMP_SUM_BOUNDED": "SIM"},
    "sims.hconsistency.comp_sum_budget": {"BudgetConfig": "CompSumBudgetConfig", "COMP_SUM_BUDGET": "SIM"},
    "sims.hconsistency.comp_sum_tightness": {"COMP_SUM_TIGHTNESS": "SIM"},
    "sims.hconsistency.hconsistency_bound": {"BoundConfig": "HconsistencyBoundConfig", "HCONSISTENCY_BOUND": "SIM"},
    "sims.hconsistency.margin_calibration": {"MARGIN_CALIBRATION": "SIM"},
    "sims.hconsistency.minimizability_gaps": {"GapConfig": "MinimizabilityGapsConfig", "MINIMIZABILITY_GAPS": "SIM"},
}.items():
    alias_names(_module, _moved)
