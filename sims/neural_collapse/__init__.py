"""Neural-collapse geometry of unconstrained-feature models (Dang et al. 2023; Garrod and Keating 2024) and a real MLP
(theory/neural_collapse/).

The room of one area: one module per sim (named as the sim), the area's public helpers (``common``), where each
claim comes from (``sources``) and the report's summary (``findings``). Importing it registers its sims and the area.
"""

from sims.engine.areas import Area, register_area
from sims.engine.deprecation import alias_modules, alias_names
from sims.neural_collapse import (  # noqa: F401  (each registers its sim)
    nc_balanced,
    nc_deep_ce_optimality,
    nc_imbalanced_ce,
    nc_imbalanced_mse,
    nc_mlp_digits,
    nc_stationary_windows,
)
from sims.neural_collapse.common import AREA
from sims.neural_collapse.findings import FIGURE, FINDINGS
from sims.neural_collapse.sources import SOURCES

register_area(Area(title=AREA, package=__name__, sources=SOURCES, findings=FINDINGS, figure=FIGURE))

# The names and modules of the earlier layout keep working, with a DeprecationWarning naming the new ones.
alias_modules({"sims.neural_collapse._common": "sims.neural_collapse.common"})
for _module, _moved in {
    "sims.neural_collapse.nc_balanced": {"BalancedConfig": "NCBalancedConfig", "NC_BALANCED": "SIM"},
    "sims.neural_collapse.nc_deep_ce_optimality": {
        "DeepCEConfig": "NCDeepCEOptimalityConfig",
        "NC_DEEP_CE_OPTIMALITY": "SIM",
    },
    "sims.neural_collapse.nc_imbalanced_ce": {"ImbalancedCEConfig": "NCImbalancedCEConfig", "NC_IMBALANCED_CE": "SIM"},
    "sims.neural_collapse.nc_imbalanced_mse": {"ImbalancedConfig": "NCImbalancedMSEConfig", "NC_IMBALANCED_MSE": "SIM"},
    "sims.neural_collapse.nc_mlp_digits": {"MLPConfig": "NCMLPDigitsConfig", "NC_MLP_DIGITS": "SIM"},
    "sims.neural_collapse.nc_stationary_windows": {
        "NC_STATIONARY_WINDOWS": "SIM",
        "WindowConfig": "NCStationaryWindowsConfig",
    },
}.items():
    alias_names(_module, _moved)
