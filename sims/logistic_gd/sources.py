"""Where each claim about logistic regression with large steps comes from (see ``sims.engine.provenance``)."""

from sims.engine.provenance import cite

TYURIN = "tyurin2025logistic"
READ = (
    "read in arXiv:2412.08424 (AAAI 2025): the statement was compared with the form encoded in theory/logistic_gd.py "
    "(Thms 3.2, 3.3, 4.1, 5.1, 5.3, 6.1, the step beta_t of Normalized LR+GD and Table 1 match the text)"
)

SOURCES = (
    cite(
        "perceptron_limit.machine_precision_at_1e12",
        refs=TYURIN,
        place="Thm 3.2 (under Assumption 3.1)",
        status="verbatim",
        basis=READ,
    ),
    cite(
        "perceptron_limit.exponential_rate",
        refs=("theorysims", TYURIN),
        place="the rate of Thm 3.2's limit",
        status="derived",
        basis="derived here from sigma(-gamma m) - 1[m <= 0] along the perceptron path (stated with the claim and in "
        "sims/logistic_gd/perceptron_limit.py); Thm 3.2 itself states only the limit",
    ),
    cite(
        "perceptron_limit.negative_control_assumption_3_1",
        refs=TYURIN,
        place="Thm 3.2 on data violating Assumption 3.1",
        status="derived",
        basis="a deliberate violation of the assumption (a zero margin along the path), built in "
        "sims/logistic_gd/perceptron_limit.py",
    ),
    cite("step_size_paradox.*", refs=TYURIN, place="Thm 4.1", status="verbatim", basis=READ),
    cite("iteration_bounds.batch", refs=TYURIN, place="Thm 3.3", status="verbatim", basis=READ),
    cite("iteration_bounds.normalized", refs=TYURIN, place="Thm 5.3", status="verbatim", basis=READ),
    cite("iteration_bounds.nlr*", refs=TYURIN, place="Thm 6.1", status="verbatim", basis=READ),
    cite(
        "worst_case_scaling.batch_exact_count",
        refs=("theorysims", TYURIN),
        place="the exact iteration count behind Thm 5.1's Omega(n)",
        status="derived",
        basis="t = 2 + floor((3n - 8)/10) on the Thm 5.1 data, derived in the docstring of "
        "theory.logistic_gd.perceptron_worst_case_iterations and checked against the run perceptron",
    ),
    cite(
        "worst_case_scaling.lr_gd_matches_perceptron",
        "worst_case_scaling.linear_in_n",
        refs=TYURIN,
        place="Thm 5.1",
        status="verbatim",
        basis=READ,
    ),
    cite(
        "worst_case_scaling.normalized_constant", refs=TYURIN, place="Thms 5.1 and 5.3", status="verbatim", basis=READ
    ),
    cite("worst_case_scaling.batch_bound_holds", refs=TYURIN, place="Thm 3.3", status="verbatim", basis=READ),
    cite(
        "worst_case_scaling.negative_control_classical_bound",
        refs="novikoff1962perceptrons",
        place="the classical R^2/mu^2 bound applied to the batch perceptron (misapplied)",
        status="derived",
        basis="a deliberate misapplication, defined in sims/logistic_gd/worst_case_scaling.py",
    ),
    cite(
        "large_step_rates.*",
        refs="wu2024large",
        place="the large-stepsize rates (O~(1/(gamma t)) after the burn-in; O~(1/T^2) with gamma = T)",
        status="restated",
        basis="the rates as summarised in the abstract of arXiv:2402.15926 and restated in the sim's statements; "
        "the theorem text was not re-read (these rows are observations, not judged)",
    ),
)
