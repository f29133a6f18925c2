"""Sims for logistic regression with large-step gradient descent and its perceptron limit (Tyurin 2024).

Importing this package registers its sims, one module per sim."""

from sims.logistic_gd import iteration_bounds, large_step_rates, perceptron_limit, step_size_paradox, worst_case_scaling  # noqa: F401  (registers the sims)
