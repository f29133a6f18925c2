"""Sims for bandits: regret guarantees checked by Monte Carlo on stochastic and adversarial instances.

Importing this package registers its sims, one module per sim."""

from sims.bandits import bandit_adversarial, bandit_extremes, bandit_stochastic, streaming_bandits  # noqa: F401  (registers the sims)
