"""Multi-armed bandits: environments, vectorised policies, a simulator, and regret guarantees.

Every simulator is vectorised over R independent replicates: state arrays have shape (R, K) and the only Python
loop is over rounds. Rewards lie in [0, 1] for Bernoulli and adversarial environments (losses are 1 - reward);
Gaussian rewards are unbounded.

Regret reported is the *pseudo-regret*: for stochastic environments sum_t Delta_{A_t} (index policies) or
sum_t <p_t, Delta> (randomised policies, the expectation over the action draw given the history: same mean, lower
variance); for oblivious adversarial tables sum_t <p_t, l_t> - min_i sum_t l_t(i) (deterministic policies:
p_t is the indicator of A_t).

The package has one module per part of the theory (all names are re-exported here, so
``from theory.bandits import simulate`` works as before):

- ``environments``: Bernoulli, Gaussian and adversarial bandits, and loss tables;
- ``stochastic``: UCB1, KL-UCB, Thompson sampling (and the Bernoulli KL divergence and the KL-UCB index);
- ``adversarial``: Exp3, Tsallis-INF, Hedge, follow-the-leader;
- ``simulation``: ``simulate`` and its ``BanditResult``;
- ``regret_bounds``: the policies' regret guarantees and the Lai-Robbins constant;
- ``streaming``: single-pass streaming bandits with a memory of one arm.
"""

from theory.bandits._base import MAX_ARMS, MAX_HORIZON, MAX_REPS, MAX_STREAM_HORIZON, MAX_TABLE, Policy, State
from theory.bandits.adversarial import exp3, follow_the_leader, hedge, tsallis_inf, tsallis_weights
from theory.bandits.environments import (
    AdversarialBandit,
    BernoulliBandit,
    GaussianBandit,
    adversarial_bandit,
    bernoulli_bandit,
    ftl_killer_table,
    gaussian_bandit,
    stochastically_constrained_table,
    switching_loss_table,
)
from theory.bandits.regret_bounds import (
    exp3_regret_bound,
    hedge_regret_bound,
    lai_robbins_constant,
    tsallis_inf_regret_bound,
    ucb1_regret_bound,
)
from theory.bandits.simulation import BanditResult, log_checkpoints, simulate
from theory.bandits.stochastic import bernoulli_kl, kl_ucb, kl_ucb_index, thompson, ucb1
from theory.bandits.streaming import (
    StreamingAlgorithm,
    simulate_streaming,
    streaming_challenge,
    streaming_explore_pulls,
    streaming_lower_bound_rate,
    streaming_rate,
    streaming_single_arm_rate,
    streaming_uniform_exploration,
    uniform_exploration_regret_bound,
)

__all__ = [
    "MAX_ARMS",
    "MAX_HORIZON",
    "MAX_REPS",
    "MAX_STREAM_HORIZON",
    "MAX_TABLE",
    "AdversarialBandit",
    "BanditResult",
    "BernoulliBandit",
    "GaussianBandit",
    "Policy",
    "State",
    "StreamingAlgorithm",
    "adversarial_bandit",
    "bernoulli_bandit",
    "bernoulli_kl",
    "exp3",
    "exp3_regret_bound",
    "follow_the_leader",
    "ftl_killer_table",
    "gaussian_bandit",
    "hedge",
    "hedge_regret_bound",
    "kl_ucb",
    "kl_ucb_index",
    "lai_robbins_constant",
    "log_checkpoints",
    "simulate",
    "simulate_streaming",
    "stochastically_constrained_table",
    "streaming_challenge",
    "streaming_explore_pulls",
    "streaming_lower_bound_rate",
    "streaming_rate",
    "streaming_single_arm_rate",
    "streaming_uniform_exploration",
    "switching_loss_table",
    "thompson",
    "tsallis_inf",
    "tsallis_inf_regret_bound",
    "tsallis_weights",
    "ucb1",
    "ucb1_regret_bound",
    "uniform_exploration_regret_bound",
]
