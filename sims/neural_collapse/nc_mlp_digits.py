"""The ``nc_mlp_digits`` sim: NC metrics along the training of a small MLP on scikit-learn's digits"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.engine.claims import Claim, ClaimSpec
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register, single_cell
from sims.engine.plotting import figure
from sims.neural_collapse.common import AREA, METRICS, metric_vector


@dataclass(frozen=True)
class NCMLPDigitsConfig:
    hidden: tuple[int, ...] = (64, 32)
    epochs: tuple[int, ...] = (1, 3, 10, 30, 100, 300)
    alpha: float = 1e-4

    @classmethod
    def quick(cls) -> NCMLPDigitsConfig:
        return cls(epochs=(1, 10, 50))

    @classmethod
    def full(cls) -> NCMLPDigitsConfig:
        return cls()


def compute(config: NCMLPDigitsConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier(
        hidden_layer_sizes=config.hidden,
        alpha=config.alpha,
        solver="adam",
        max_iter=1,
        random_state=int(np.random.default_rng(seed).integers(2**31)),
        warm_start=True,
    )
    rows, accs = [], []
    done = 0
    for e in config.epochs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # one epoch per fit call is intended
            for _ in range(e - done):
                clf.fit(X, y)
        done = e
        act = X
        for W, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1], strict=True):
            act = np.maximum(act @ W + b, 0.0)  # ReLU hidden layers
        rows.append(metric_vector(act.T, y, clf.coefs_[-1].T, clf.intercepts_[-1]))
        accs.append(clf.score(X, y))
    return {"epochs": np.array(config.epochs), "metrics": np.array(rows), "train_accuracy": np.array(accs)}


def check(config: NCMLPDigitsConfig, results: Results) -> list[Claim]:
    r = results[cell_key({})]
    idx = {k: i for i, k in enumerate(METRICS)}
    nc1 = r["metrics"][:, idx["nc1"]]
    return [
        Claim.observation(
            id="nc_mlp_digits.nc1_along_training",
            statement="Observation: NC1 of the last hidden layer of an MLP on "
            "scikit-learn's digits along training (how far a real network gets toward collapse).",
            method=f"MLP {config.hidden}, Adam, epochs {list(config.epochs)}",
            quantity="NC1 at the last epoch",
            predicted=float("nan"),
            measured=float(nc1[-1]),
            figure="mlp",
            details=f"NC1 by epoch {np.round(nc1, 4).tolist()}; "
            f"nc2_etf {np.round(r['metrics'][:, idx['nc2_etf']], 3).tolist()}; "
            f"nc4 {np.round(r['metrics'][:, idx['nc4']], 4).tolist()}; "
            f"train accuracy {np.round(r['train_accuracy'], 4).tolist()}",
        )
    ]


def figures(config: NCMLPDigitsConfig, results: Results) -> dict:
    r = results[cell_key({})]
    fig, ax = figure()
    for k in ("nc1", "nc2_etf", "nc2_etf_W", "nc3", "nc4"):
        ax.loglog(r["epochs"], np.maximum(r["metrics"][:, METRICS.index(k)], 1e-6), "o-", ms=3, label=k)
    ax.set(
        xlabel="epoch", ylabel="metric (floored at 1e-6)", title="MLP on digits: NC metrics of the last hidden layer"
    )
    ax.legend()
    return {"mlp": fig}


cells = single_cell  # everything in one cell

CLAIMS = (ClaimSpec("nc_mlp_digits.nc1_along_training", "observation"),)

SIM = register(
    Sim(
        name="nc_mlp_digits",
        area=AREA,
        description="NC metrics along the training of a small MLP on digits",
        config_cls=NCMLPDigitsConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
