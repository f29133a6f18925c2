"""Helpers shared by the sims of one area: online learning (FTRL/OMD and optimistic OMD in the SEA model).

Public, so that each sim module imports them by name; nothing here is a sim. The adversarial loss tables come from
the bandits area (``sims.bandits.common.loss_table``), so that both areas see the same instances.
"""

AREA = "Online learning"
N_SE = 3.0  # one-sided 3 standard errors (99.87% under normality of the replicate mean), as in the bandits area
