"""Helpers shared by the sims of one area: bandits (regret guarantees checked by Monte Carlo).

Public, so that each sim module imports them by name; nothing here is a sim.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sims.engine.claims import Claim
from sims.engine.core import Arrays, shared_seed
from sims.engine.stats import mean_se
from theory.bandits import (
    exp3,
    follow_the_leader,
    ftl_killer_table,
    hedge,
    kl_ucb,
    simulate,
    stochastically_constrained_table,
    switching_loss_table,
    thompson,
    tsallis_inf,
    ucb1,
)

AREA = "Bandits"


N_SE = 3.0  # one-sided 3 standard errors (99.87% under normality of the replicate mean)


POLICIES = {
    "ucb1": ucb1,
    "kl_ucb": kl_ucb,
    "thompson": thompson,
    "exp3": exp3,
    "tsallis_iw": lambda: tsallis_inf("iw"),
    "tsallis_rv": lambda: tsallis_inf("rv"),
    "hedge": hedge,
    "ftl": follow_the_leader,
}


def run_policy(policy: str, env, T: int, R: int, seed: np.random.SeedSequence) -> Arrays:
    res = simulate(POLICIES[policy](), env, T, R, seed)
    return {"regret": res.regret, "checkpoints": res.checkpoints, "curve": res.curve}


def bound_claim(
    cid: str,
    statement: str,
    r: Arrays,
    bound: float,
    R: int,
    figure_name: str,
    expect: str = "holds",
    role: str = "claim",
) -> Claim:
    m, se = mean_se(r["regret"])
    measured = m + N_SE * se if expect == "holds" else m - N_SE * se
    return Claim(
        id=cid,
        statement=statement,
        method=f"{R} replicates, pseudo-regret at T",
        quantity=f"mean regret + {N_SE:g} SE" if expect == "holds" else f"mean regret - {N_SE:g} SE",
        predicted=float(bound),
        measured=float(measured),
        tolerance=0.0,
        tolerance_reason=f"{N_SE:g} standard errors of the mean over R = {R} replicates, folded into the measured "
        "value (one-sided, conservative in the direction of the statement)",
        relation="<=",
        expect=expect,
        role=role,
        figure=figure_name,
        details=f"mean {m:.2f}, SE {se:.2f}",
    )


def loss_table(name: str, T: int, K: int, seed: np.random.SeedSequence) -> NDArray:
    """The oblivious loss tables shared by the adversarial sims: every cell naming table ``name`` sees the same
    table for a given root seed (``shared_seed``), so policies are compared on one instance."""
    rng = np.random.default_rng(shared_seed(seed, "loss_table", name))
    if name == "switching":
        return switching_loss_table(T, K, rng=rng)
    if name == "stoch_constrained":
        return stochastically_constrained_table(T, np.linspace(0.0, 0.3, K), rng=rng)
    if name.startswith("iid"):  # i.i.d. Bernoulli(1/2) losses
        return (rng.random((T, K)) < 0.5).astype(float)
    return ftl_killer_table(T)
