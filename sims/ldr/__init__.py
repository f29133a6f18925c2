"""Label distributionally robust (LDR) losses and top-k consistency (Zhu, Ying, Yang 2023; theory/ldr/).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.engine.deprecation import alias_modules, alias_names
from sims.ldr import (  # noqa: F401  (each registers its sim)
    aldr_temperature,
    ldr_calibration,
    ldr_dual_form,
    ldr_label_noise,
    ldr_topk_consistency,
)
from sims.ldr.common import AREA
from sims.ldr.findings import FIGURE, FINDINGS
from sims.ldr.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))

# The names and modules of the earlier layout keep working, with a DeprecationWarning naming the new ones.
alias_modules(
    {
        "sims.hconsistency.ldr_calibration": "sims.ldr.ldr_calibration",
        "sims.hconsistency.ldr_dual_form": "sims.ldr.ldr_dual_form",
        "sims.hconsistency.ldr_label_noise": "sims.ldr.ldr_label_noise",
        "sims.hconsistency.ldr_topk_consistency": "sims.ldr.ldr_topk_consistency",
    }
)
for _module, _moved in {
    "sims.ldr.ldr_calibration": {"CalibrationConfig": "LDRCalibrationConfig", "LDR_CALIBRATION": "SIM"},
    "sims.ldr.ldr_dual_form": {"DualConfig": "LDRDualFormConfig", "LDR_DUAL_FORM": "SIM"},
    "sims.ldr.ldr_label_noise": {"LDR_LABEL_NOISE": "SIM", "LabelNoiseConfig": "LDRLabelNoiseConfig"},
    "sims.ldr.ldr_topk_consistency": {"LDR_TOPK_CONSISTENCY": "SIM", "TopKConfig": "LDRTopKConsistencyConfig"},
}.items():
    alias_names(_module, _moved)
