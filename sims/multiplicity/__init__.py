"""Predictive multiplicity of L2-regularised logistic regression (Watson-Daniels, Parkes, Ustun 2023;
theory/multiplicity/).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.engine.deprecation import alias_modules, alias_names
from sims.multiplicity import (  # noqa: F401  (each registers its sim)
    multiplicity_exactness,
    multiplicity_measures,
    multiplicity_small_eps,
    multiplicity_soundness,
)
from sims.multiplicity.common import AREA
from sims.multiplicity.findings import FIGURE, FINDINGS
from sims.multiplicity.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))

# The names and modules of the earlier layout keep working, with a DeprecationWarning naming the new ones.
alias_modules({"sims.multiplicity._common": "sims.multiplicity.common"})
for _module, _moved in {
    "sims.multiplicity.common": {"single_cell": "sims.engine.core:single_cell"},
    "sims.multiplicity.multiplicity_exactness": {
        "ExactnessConfig": "MultiplicityExactnessConfig",
        "MULTIPLICITY_EXACTNESS": "SIM",
    },
    "sims.multiplicity.multiplicity_measures": {
        "MULTIPLICITY_MEASURES": "SIM",
        "MeasuresConfig": "MultiplicityMeasuresConfig",
    },
    "sims.multiplicity.multiplicity_small_eps": {
        "MULTIPLICITY_SMALL_EPS": "SIM",
        "SmallEpsConfig": "MultiplicitySmallEpsConfig",
    },
    "sims.multiplicity.multiplicity_soundness": {
        "MULTIPLICITY_SOUNDNESS": "SIM",
        "SoundnessConfig": "MultiplicitySoundnessConfig",
    },
}.items():
    alias_names(_module, _moved)
