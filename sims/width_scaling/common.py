"""Helpers shared by the sims of one area: width scaling and muP (theory/width_scaling/).

Public, so that each sim module imports them by name; nothing here is a sim.
"""

from __future__ import annotations

import numpy as np

AREA = "Width scaling: the maximal update parametrisation"
# The three parametrisations whose coordinate checks and transfer the sims show (the muP forms give identical
# numbers: mup_equivalence checks it, so the others run "mup" only)
SHOWN = ("sp", "ntk", "mup")
MUP_FORMS = ("mup", "mup_table3", "mup_package")


def int_seed(seed: np.random.SeedSequence) -> int:
    """An integer seed for the theory functions (which take integers), from a cell's SeedSequence."""
    return int(seed.generate_state(1, dtype=np.uint32)[0])


def bonferroni(m: int, level: float = 0.05) -> float:
    """The per-check confidence 1 - level / m that keeps m simultaneous intervals at family-wise level ``level``."""
    return 1.0 - level / max(m, 1)
