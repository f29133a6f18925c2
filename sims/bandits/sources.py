"""Where each bandit claim comes from and how surely (see ``sims.engine.provenance``)."""

from sims.engine.provenance import cite

LS = "lattimore2020bandit"
LS_READ = (
    "read in the book's text, Thm 11.2 (p. 151): for an adversarial bandit x in [0, 1]^(n x k), Exp3 with learning "
    "rate sqrt(2 log(k)/(nk)) has R_n <= sqrt(2 n k log(k))"
)
ZS = "zimmert2021tsallis"
ZS_RESTATED = (
    "the constants as restated by secondary sources, encoded in the docstring of "
    "theory.bandits.tsallis_inf_regret_bound; not re-read against the theorem text"
)
ACF = "auer2002finite"
ACF_RESTATED = (
    "the bound 8 sum_i ln T/Delta_i + (1 + pi^2/3) sum_i Delta_i as encoded in the docstring of "
    "theory.bandits.ucb1_regret_bound, written from the standard statement; the primary text was not re-read here"
)
WANG = "wang2023streaming"
WANG_READ = (
    "read in arXiv:2306.02208 (abstract and Sec. 1): Omega(K^(1/3) T^(2/3)) for o(K) arm memory; uniform exploration "
    "O(K^(1/3) T^(2/3) log^(1/3) T); a single stored arm O(K^(1/3) T^(2/3) log K) expected regret; O(log* K) memory "
    "the optimal O(K^(1/3) T^(2/3))"
)
LR_RESTATED = (
    "the Lai-Robbins constant sum_i Delta_i/KL(mu_i, mu*) as encoded in theory.bandits.lai_robbins_constant, written "
    "from the standard statement; an observation, not judged"
)

SOURCES = (
    cite(
        "bandit_adversarial.*.exp3_bound",
        "bandit_stochastic.*.exp3_bound",
        "bandit_extremes.exp3.bound",
        refs=LS,
        place="Thm 11.2",
        status="verbatim",
        basis=LS_READ,
    ),
    cite(
        "bandit_adversarial.*.exp3_negative_control_*",
        refs=LS,
        place="Thm 11.2's bound divided by 10",
        status="derived",
        basis="a deliberately wrong bound, defined in sims/bandits/bandit_adversarial.py",
    ),
    cite(
        "bandit_adversarial.*.tsallis_*_bound",
        "bandit_stochastic.*.tsallis_*_adversarial_bound",
        "bandit_stochastic.*.tsallis_*.observed",
        "bandit_extremes.tsallis_iw.bound",
        refs=ZS,
        place="adversarial regret bounds of Tsallis-INF (importance-weighted and reduced-variance estimators)",
        status="restated",
        basis=ZS_RESTATED,
    ),
    cite(
        "bandit_adversarial.*.hedge_bound",
        refs="cesabianchi2006prediction",
        place="Thm 2.2",
        status="restated",
        basis="sqrt((T/2) ln K) with eta = sqrt(8 ln K / T), as encoded in the docstring of "
        "theory.bandits.hedge_regret_bound from the standard statement; the book's text was not re-read here",
    ),
    cite(
        "bandit_adversarial.ftl_killer.ftl_negative_control_*",
        refs="cesabianchi2006prediction",
        place="follow-the-leader claimed within the Hedge bound (it is not Hannan-consistent)",
        status="derived",
        basis="a deliberately wrong statement, defined in sims/bandits/bandit_adversarial.py",
    ),
    cite(
        "bandit_stochastic.*.ucb1_bound",
        "bandit_stochastic.*.ucb1_bound_looseness",
        "bandit_extremes.ucb1.bound",
        refs=ACF,
        place="Thm 1",
        status="restated",
        basis=ACF_RESTATED,
    ),
    cite(
        "bandit_stochastic.*.negative_control_*",
        refs=ACF,
        place="Thm 1's bound divided by 20",
        status="derived",
        basis="a deliberately wrong bound, defined in sims/bandits/bandit_stochastic.py",
    ),
    cite(
        "bandit_stochastic.*.ucb1.observed",
        "bandit_stochastic.*.exp3.observed",
        refs=LS,
        place="regret curves of UCB1 and Exp3 (observation)",
        status="restated",
        basis="observed regret reported beside the Lai-Robbins constant; " + LR_RESTATED,
    ),
    cite(
        "bandit_stochastic.*.kl_ucb.observed",
        refs=("lai1985asymptotically", "garivier2011klucb"),
        place="the asymptotic lower bound; KL-UCB attains its constant",
        status="restated",
        basis=LR_RESTATED,
    ),
    cite(
        "bandit_stochastic.*.thompson.observed",
        "bandit_stochastic.gaussian.thompson_gaussian.observed",
        refs=("lai1985asymptotically", "agrawal2013further"),
        place="the asymptotic lower bound; Thompson sampling attains its constant",
        status="restated",
        basis=LR_RESTATED,
    ),
    cite(
        "bandit_extremes.*.finite",
        refs="theorysims",
        place="the numerical-soundness requirement (README, 'Bad input, extremes and convergence')",
        status="derived",
        basis="a requirement of this project at horizons of 1e6 and beyond, not a theorem",
    ),
    cite(
        "streaming_bandits.*.uniform.instance_bound",
        "streaming_bandits.*.challenge.observed",
        refs=(WANG, "theorysims"),
        place="the uniform-exploration benchmark (Wang 2023); the instance bound and the challenge variant are ours",
        status="derived",
        basis="the instance bound is derived in the docstring of theory.bandits.uniform_exploration_regret_bound "
        "(Hoeffding); the challenge variant is this project's simplification (docstring of streaming_challenge)",
    ),
    cite(
        "streaming_bandits.*.uniform.slope",
        refs=WANG,
        place="uniform exploration: O(K^(1/3) T^(2/3) log^(1/3) T); lower bound Omega(K^(1/3) T^(2/3))",
        status="verbatim",
        basis=WANG_READ,
    ),
    cite(
        "streaming_bandits.*.challenge.vs_lower_bound_rate",
        refs=WANG,
        place="the Omega(K^(1/3) T^(2/3)) lower bound for o(K) arm memory",
        status="verbatim",
        basis=WANG_READ,
    ),
    cite(
        "streaming_bandits.*.challenge.vs_single_arm_rate",
        refs=WANG,
        place="single-arm memory: O(K^(1/3) T^(2/3) log K) expected regret",
        status="verbatim",
        basis=WANG_READ,
    ),
    cite(
        "streaming_bandits.*.negative_control_*",
        refs=WANG,
        place="the full-memory rate sqrt(K T) claimed with one arm of memory",
        status="derived",
        basis="a deliberately wrong rate (it contradicts the Omega(K^(1/3) T^(2/3)) lower bound), defined in "
        "sims/bandits/streaming_bandits.py",
    ),
)
