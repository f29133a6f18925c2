"""Logistic regression with large-step gradient descent and its perceptron limit (Tyurin 2025; theory/logistic_gd.py).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.engine.deprecation import alias_modules, alias_names
from sims.logistic_gd import (  # noqa: F401  (each registers its sim)
    iteration_bounds,
    large_step_rates,
    perceptron_limit,
    step_size_paradox,
    worst_case_scaling,
)
from sims.logistic_gd.common import AREA
from sims.logistic_gd.findings import FIGURE, FINDINGS
from sims.logistic_gd.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))

# The names and modules of the earlier layout keep working, with a DeprecationWarning naming the new ones.
alias_modules({"sims.logistic_gd._common": "sims.logistic_gd.common"})
for _module, _moved in {
    "sims.logistic_gd.iteration_bounds": {"BoundsConfig": "IterationBoundsConfig", "ITERATION_BOUNDS": "SIM"},
    "sims.logistic_gd.large_step_rates": {"LARGE_STEP_RATES": "SIM", "RatesConfig": "LargeStepRatesConfig"},
    "sims.logistic_gd.perceptron_limit": {"LimitConfig": "PerceptronLimitConfig", "PERCEPTRON_LIMIT": "SIM"},
    "sims.logistic_gd.step_size_paradox": {"ParadoxConfig": "StepSizeParadoxConfig", "STEP_SIZE_PARADOX": "SIM"},
    "sims.logistic_gd.worst_case_scaling": {"ScalingConfig": "WorstCaseScalingConfig", "WORST_CASE_SCALING": "SIM"},
}.items():
    alias_names(_module, _moved)
