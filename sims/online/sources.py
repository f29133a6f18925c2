"""Where each online-learning claim comes from and how surely (see ``sims.engine.provenance``)."""

from sims.engine.provenance import cite

ORABONA = "orabona2019modern"
ORABONA_RESTATED = (
    "the bound as encoded in the docstrings of theory.online (ftrl_regret_bound, omd_regret_bound), written from the "
    "standard statement in the lecture notes (arXiv:1912.13213); the text was not re-read here"
)
SEA_ORDER = (
    "this project's bound (theory.online.sea_regret_bound, derived in its docstring from the path-wise bound of "
    "optimistic_omd_regret_bound with an oracle-tuned constant step). Sachs et al. (2022, Thm 5, read in "
    "arXiv:2202.07554v2: optimistic FTRL with an adaptive step, convex smooth losses; Thm 6 is the lower bound "
    "Omega(D (sigma_bar + Sigma_bar) sqrt(T))) and Chen et al. (2023, Thm 1) state the same order for other "
    "algorithms, so they match in order only"
)

SOURCES = (
    cite("online_ftrl.ftrl_*.bound", refs=ORABONA, place="Cor. 7.9", status="restated", basis=ORABONA_RESTATED),
    cite("online_ftrl.omd_*.bound", refs=ORABONA, place="Thm 6.10", status="restated", basis=ORABONA_RESTATED),
    cite(
        "online_ftrl.*.omd_equals_ftrl",
        refs=ORABONA,
        place="Sec. 7.3 (lazy and greedy mirror descent coincide for Legendre regularisers, constant step)",
        status="restated",
        basis=ORABONA_RESTATED,
    ),
    cite(
        "online_ftrl.negative_control_*",
        refs="cesabianchi2006prediction",
        place="the Hedge bound sqrt((T/2) ln K) divided by 2",
        status="derived",
        basis="a deliberately wrong bound, defined in sims/online/online_ftrl.py",
    ),
    cite(
        "sea_optimistic_omd.*.pathwise_bound",
        refs=("rakhlin2013predictable", "chen2023optimistic"),
        place="path-wise bound of optimistic OMD with a constant step (Chen et al. 2023, Lemma 1)",
        status="restated",
        basis="the bound as encoded in the docstring of theory.online.optimistic_omd_regret_bound, written from the "
        "standard statement; the primary texts were not re-read here",
    ),
    cite(
        "sea_optimistic_omd.ball.*.expected_bound",
        "sea_optimistic_omd.ball.optimistic.constant",
        "sea_rates.*.slope",
        refs=("theorysims", "sachs2022between", "chen2023optimistic"),
        place="theory.online.sea_regret_bound (order of Sachs et al. Thm 5 and Chen et al. Thm 1)",
        status="derived",
        basis=SEA_ORDER,
    ),
    cite(
        "sea_rates.benign.optimistic.bounded",
        refs="chen2023optimistic",
        place="constant regret of optimistic OMD when the gradients do not vary (sigma = Sigma = 0)",
        status="restated",
        basis="as restated in the docstring of theory.online.optimistic_omd_regret_bound (V = ||m_1||^2 when the "
        "hints are exact); the primary text was not re-read here",
    ),
    cite(
        "sea_optimistic_omd.ball.negative_control_*",
        "sea_rates.benign.negative_control_*",
        refs=("theorysims", "sachs2022between"),
        place="the SEA bound without its sigma term; plain OMD claimed bounded",
        status="derived",
        basis="deliberately wrong statements, defined in sims/online/sea_optimistic_omd.py and sea_rates.py",
    ),
)
