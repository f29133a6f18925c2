"""The ``lion_lyapunov`` sim: the Lyapunov function of the continuous-time Lion-K, along ODE solutions and along
the discrete iteration"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from sims.engine.claims import Claim, ClaimSpec, Tol, bound, equality, negative_control
from sims.engine.core import Arrays, Cell, Results, Sim, cell_key, register, shared_seed
from sims.engine.plotting import figure
from sims.engine.stats import loglog_slope
from sims.optimizers.common import AREA, wavy_problems
from theory.optimizers import (
    lion_k_lyapunov,
    lion_k_lyapunov_rate,
    lion_k_ode_field,
    lion_k_step,
    lion_kinetic,
    lion_ode_params,
)

ODE_KINETICS = ("logcosh", "smooth_l2")  # smooth K with a differentiable K*: the rate formula applies
RTOL = 1e-12  # solve_ivp's rtol = atol (DOP853)
FD_STEP = 1e-3  # the central difference's step in flow time


@dataclass(frozen=True)
class LionLyapunovConfig:
    d: int = 4
    n_ode: int = 8  # drawn instances with eps gamma in [0, 1]
    n_control: int = 4  # and with eps gamma in [2, 6]
    horizon: float = 10.0
    n_probe: int = 30
    etas: tuple[float, ...] = (2e-2, 1e-2, 5e-3, 2e-3)
    n_param_sets: int = 3  # discrete: drawn (gamma, eps gamma, lam), each on n_discrete problems
    n_discrete: int = 8
    discrete_horizon: float = 10.0

    @classmethod
    def quick(cls) -> LionLyapunovConfig:
        return cls(n_ode=3, n_control=2, horizon=8.0, etas=(2e-2, 1e-2, 5e-3), n_param_sets=2, n_discrete=4)

    @classmethod
    def full(cls) -> LionLyapunovConfig:
        return cls()


def cells(config: LionLyapunovConfig) -> list[Cell]:
    return [{"part": "ode", "kinetic": k} for k in ODE_KINETICS] + [{"part": "discrete", "eta": e} for e in config.etas]


def compute(config: LionLyapunovConfig, cell: Cell, seed: np.random.SeedSequence) -> Arrays:
    if cell["part"] == "ode":
        return _ode(config, str(cell["kinetic"]), np.random.default_rng(seed))
    return _discrete(config, float(cell["eta"]), seed)


def _start(rng: np.random.Generator, kinetic: str, lam: np.ndarray, R: int, d: int) -> np.ndarray:
    """x0 with lam x0 well inside dom K*: uniform in 0.9 x the box, or a uniform radius below 0.9 in the ball."""
    if kinetic == "logcosh":
        return rng.uniform(-0.9, 0.9, (R, d)) / lam[:, None]
    u = rng.normal(size=(R, d))
    return u / np.linalg.norm(u, axis=1, keepdims=True) * rng.uniform(0.0, 0.9, (R, 1)) / lam[:, None]


def _ode(config: LionLyapunovConfig, kinetic: str, rng: np.random.Generator) -> Arrays:
    R, d, T = config.n_ode + config.n_control, config.d, config.horizon
    P = wavy_problems(rng, R, d)
    alpha, gamma, lam = rng.uniform(0.5, 2.0, R), rng.uniform(0.5, 2.0, R), rng.uniform(0.3, 1.5, R)
    eps_gamma = np.r_[rng.uniform(0.0, 1.0, config.n_ode), rng.uniform(2.0, 6.0, config.n_control)]
    x0, m0 = _start(rng, kinetic, lam, R, d), rng.normal(size=(R, d)) * 2.0
    grid = np.linspace(0.0, T, 2001)
    probe = np.linspace(0.05 * T, 0.95 * T, config.n_probe)
    out = {k: np.empty(R) for k in ("fd_err", "fd_own_err", "fd_err_no_momentum", "max_rate", "max_rise", "scale")}
    out["curves"] = np.empty((R, 201))
    for r in range(R):
        Pr, params = P.row(r), (alpha[r], gamma[r], eps_gamma[r] / gamma[r], lam[r])

        def field(t: float, z: np.ndarray, Pr=Pr, params=params) -> np.ndarray:
            xd, md = lion_k_ode_field.__wrapped__(z[:d], z[d:], Pr.grad(z[:d]), *params, kinetic)
            return np.r_[xd, md]

        sol = solve_ivp(field, (0.0, T), np.r_[x0[r], m0[r]], method="DOP853", rtol=RTOL, atol=RTOL, dense_output=True)

        def H(t: np.ndarray, Pr=Pr, params=params, sol=sol) -> np.ndarray:
            z = sol.sol(t).T
            return lion_k_lyapunov(z[:, :d], z[:, d:], Pr.f(z[:, :d]), *params, kinetic)

        zp = sol.sol(probe).T
        rate = lion_k_lyapunov_rate(zp[:, :d], zp[:, d:], Pr.grad(zp[:, :d]), *params, kinetic)
        h = FD_STEP
        d1 = (H(probe + h) - H(probe - h)) / (2 * h)
        d2 = (H(probe + 2 * h) - H(probe - 2 * h)) / (4 * h)
        Hg = H(grid)
        out["fd_err"][r] = np.abs(d1 - rate).max()
        out["fd_own_err"][r] = np.abs(d1 - d2).max() / 3  # Richardson: the error of d1 is (d2 - d1)/3 + O(h^4)
        out["fd_err_no_momentum"][r] = np.abs(d1 - rate - _momentum_term(zp, Pr, params, kinetic)).max()
        out["max_rate"][r] = rate.max()
        out["scale"][r] = max(1.0, np.abs(Hg).max())
        out["max_rise"][r] = np.diff(Hg).max() / out["scale"][r]
        out["curves"][r] = (Hg[::10] - Hg[0]) / out["scale"][r]
    return {**out, "eps_gamma": eps_gamma}


def _momentum_term(z: np.ndarray, Pr, params: tuple, kinetic: str) -> np.ndarray:
    """c <grad K(m~) - grad K(m), m'>: what the negative control drops from dH/dt."""
    alpha, gamma, eps, lam = params
    d = z.shape[1] // 2
    kin = lion_kinetic(kinetic)
    m_dot = -alpha * Pr.grad(z[:, :d]) - gamma * z[:, d:]
    step = kin.grad_K(z[:, d:] + eps * m_dot) - kin.grad_K(z[:, d:])
    return (1.0 - eps * gamma) / (1.0 + eps * lam) * np.sum(step * m_dot, axis=-1)


def _discrete(config: LionLyapunovConfig, eta: float, seed: np.random.SeedSequence) -> Arrays:
    """Lion (K = ||.||_1, sign) with (beta1, beta2) mapped from drawn ODE parameters, at step eta: the largest
    one-step increase of H, and the identity of one step with forward Euler on the ODE."""
    R, d = config.n_discrete, config.d
    rise, euler = np.empty(config.n_param_sets), np.empty(config.n_param_sets)
    for j in range(config.n_param_sets):
        rng = np.random.default_rng(shared_seed(seed, "lion_lyapunov_discrete", str(j)))  # the same at every eta
        gamma, eps_gamma, lam = rng.uniform(0.5, 2.0), rng.uniform(0.2, 1.0), rng.uniform(0.3, 1.5)
        P = wavy_problems(rng, R, d)
        x, m = rng.uniform(-0.9, 0.9, (R, d)) / lam, rng.normal(size=(R, d)) * 2.0
        beta2 = 1.0 - gamma * eta
        beta1 = (1.0 - eps_gamma) / beta2  # so that 1 - beta1 beta2 = eps gamma
        ode = lion_ode_params(eta, beta1, beta2)
        g = P.grad(x)
        xd, md = lion_k_ode_field(x, m, g, *ode, lam, "l1")
        x1, m1 = lion_k_step(x, m, g, eta, lam, beta1, beta2)
        euler[j] = max(np.abs(x1 - x - eta * xd).max(), np.abs(m1 - m - eta * md).max())
        H0, worst = lion_k_lyapunov(x, m, P.f(x), *ode, lam, "l1"), -np.inf
        for _ in range(round(config.discrete_horizon / eta)):
            x, m = lion_k_step.__wrapped__(x, m, P.grad(x), eta, lam, beta1, beta2, np.sign, "paper")
            H1 = lion_k_lyapunov.__wrapped__(x, m, P.f(x), *ode, lam, "l1")
            worst, H0 = max(worst, float((H1 - H0).max())), H1
        rise[j] = worst
    return {"rise": rise, "euler": euler}


def check(config: LionLyapunovConfig, results: Results) -> list[Claim]:
    claims = [c for k in ODE_KINETICS for c in _ode_claims(config, k, results[cell_key({"part": "ode", "kinetic": k})])]
    return claims + _discrete_claims(config, results)


def _ode_method(config: LionLyapunovConfig, kinetic: str, n: int, eg: str) -> str:
    return (
        f"{n} drawn non-convex f (six cosine waves plus mu ||x||^2/2) in d = {config.d}, K = {kinetic}, alpha and "
        f"gamma ~ U(0.5, 2), lam ~ U(0.3, 1.5), eps gamma ~ {eg}, lam x0 inside 0.9 dom K*, m0 ~ N(0, 4 I); "
        f"solve_ivp (DOP853, rtol = atol = {RTOL:g}) over t in [0, {config.horizon:g}]"
    )


def _ode_claims(config: LionLyapunovConfig, kinetic: str, r: Arrays) -> list[Claim]:
    ok = r["eps_gamma"] <= 1.0
    method = _ode_method(config, kinetic, int(ok.sum()), "U(0, 1)")
    control = _ode_method(config, kinetic, int((~ok).sum()), "U(2, 6)")
    own = float(r["fd_own_err"].max())
    rounding = float(RTOL * r["scale"].max() / FD_STEP)
    fd_tol = Tol(
        10 * (own + rounding),
        f"ten times the central difference's own error: its Richardson estimate |D(h) - D(2h)|/3 (max "
        f"{own:.2g}) plus the dense output's rtol x |H| / h ({rounding:.2g})",
    )
    return [
        equality(
            id=f"lion_lyapunov.{kinetic}.rate_formula",
            statement="dH/dt = -c <grad K(m~) - grad K(m), m'> - k <grad K(m~) - lam x, m~ - grad K*(lam x)> along "
            "the continuous-time Lion-K, for any eps gamma (derived here).",
            method=f"{method}, and {(~ok).sum()} more with eps gamma ~ U(2, 6); central differences of H along the "
            f"solution (step {FD_STEP:g}) at {config.n_probe} times",
            quantity="max |central difference of H - closed-form dH/dt|",
            predicted=0.0,
            measured=float(r["fd_err"].max()),
            tol=fd_tol,
        ),
        negative_control(
            id=f"lion_lyapunov.{kinetic}.negative_control_no_momentum_term",
            statement="Negative control: dH/dt is the weight-decay term -k <grad K(m~) - lam x, m~ - grad K*(lam x)> "
            "alone. False: the momentum term -c <grad K(m~) - grad K(m), m'> is part of it.",
            method=f"{method}, and {(~ok).sum()} more with eps gamma ~ U(2, 6); the same central differences",
            quantity="max |central difference of H - the weight-decay term|",
            predicted=0.0,
            measured=float(r["fd_err_no_momentum"].max()),
            relation="==",
            tol=fd_tol,
        ),
        bound(
            id=f"lion_lyapunov.{kinetic}.non_increasing",
            statement="For eps gamma <= 1, H(x, m) = alpha f(x) + (gamma/lam) K*(lam x) + c [K*(lam x) + K(m) - lam "
            "<m, x>], c = (1 - eps gamma)/(1 + eps lam), never increases along the ODE, for a non-convex f.",
            method=method + "; H on 2001 equally spaced times",
            quantity="max over consecutive times of (H(t') - H(t)) / max(1, max |H|)",
            predicted=0.0,
            measured=float(r["max_rise"][ok].max()),
            tol=Tol(1e-9, f"the solver's rtol = {RTOL:g} accumulated over the horizon, relative to |H|"),
            details=f"largest closed-form dH/dt at the probes: {float(r['max_rate'][ok].max()):.3g}",
            figure="lion_lyapunov",
        ),
        negative_control(
            id=f"lion_lyapunov.{kinetic}.negative_control_eps_gamma_above_one",
            statement="Negative control: H never increases for eps gamma > 1 too. False: c < 0 turns the momentum "
            "term positive.",
            method=control + "; H on 2001 equally spaced times",
            quantity="max over consecutive times of (H(t') - H(t)) / max(1, max |H|)",
            predicted=0.0,
            measured=float(r["max_rise"][~ok].max()),
            tol=Tol(1e-9, f"the solver's rtol = {RTOL:g} accumulated over the horizon, relative to |H|"),
            figure="lion_lyapunov",
        ),
    ]


def _discrete_claims(config: LionLyapunovConfig, results: Results) -> list[Claim]:
    etas = np.array(config.etas)
    rs = [results[cell_key({"part": "discrete", "eta": e})] for e in config.etas]
    rise = np.array([r["rise"] for r in rs])  # (n_eta, n_param_sets)
    slope, half = loglog_slope(etas, rise.max(axis=1))
    each = [loglog_slope(etas, rise[:, j])[0] for j in range(rise.shape[1])]
    method = (
        f"Lion (K = ||.||_1, grad K = sign) on {config.n_param_sets} drawn (gamma ~ U(0.5, 2), eps gamma ~ U(0.2, "
        f"1), lam ~ U(0.3, 1.5)) x {config.n_discrete} drawn non-convex f in d = {config.d}, beta2 = 1 - gamma eta "
        f"and beta1 beta2 = 1 - eps gamma, eta from {etas.max():g} to {etas.min():g}, "
        f"{config.discrete_horizon:g}/eta steps from lam x0 inside the box"
    )
    return [
        equality(
            id="lion_lyapunov.discrete.euler_step",
            statement="The paper-convention Lion-K step is exactly forward Euler of the ODE with alpha = gamma = "
            "(1 - beta2)/eta and eps = eta (1 - beta1 beta2)/(1 - beta2) (derived here).",
            method=method + "; the first step of every run",
            quantity="max |lion_k_step - (z + eta F(z))| over x and m",
            predicted=0.0,
            measured=float(max(r["euler"].max() for r in rs)),
            tol=Tol(1e-13, "a few roundings of x and m (entries below 10)"),
        ),
        equality(
            id="lion_lyapunov.discrete.increase_slope",
            statement="The discrete iteration is not monotone in H, but its one-step increases are O(eta^2) "
            "(derived: an Euler step changes H by eta dH/dt + O(eta^2), dH/dt <= 0).",
            method=method,
            quantity="log-log slope in eta of the largest one-step increase of H",
            predicted=2.0,
            measured=slope,
            tol=Tol(half + 0.15, f"95% CI of the slope ({half:.3f}) + 0.15 for an O(eta^2) statement at finite eta"),
            details="slope of each parameter set: " + ", ".join(f"{s:.3f}" for s in each),
            figure="lion_lyapunov",
        ),
        negative_control(
            id="lion_lyapunov.discrete.negative_control_monotone",
            statement="Negative control: H never increases along the discrete Lion iteration either. False: it "
            "increases by O(eta^2).",
            method=method,
            quantity=f"largest one-step increase of H at eta = {etas.min():g}",
            predicted=0.0,
            measured=float(rise[-1].max()),
            tol=Tol(1e-12, "rounding of H (|H| below 100)"),
        ),
    ]


def figures(config: LionLyapunovConfig, results: Results) -> dict:
    fig, (a, b) = figure(1, 2, figsize=(10, 4))
    r = results[cell_key({"part": "ode", "kinetic": ODE_KINETICS[0]})]
    t = np.linspace(0.0, config.horizon, r["curves"].shape[1])
    for i, eg in enumerate(r["eps_gamma"]):
        ok = eg <= 1.0
        a.plot(t, r["curves"][i], color="C0" if ok else "C3", lw=1, alpha=0.8, ls="-" if ok else "--")
    a.plot([], [], color="C0", label="eps gamma <= 1")
    a.plot([], [], color="C3", ls="--", label="eps gamma in [2, 6] (control)")
    a.set(xlabel="flow time t", ylabel="(H(t) - H(0)) / max|H|", title=f"ODE, K = {ODE_KINETICS[0]}")
    a.legend(fontsize=8)
    etas = np.array(config.etas)
    rise = np.array([results[cell_key({"part": "discrete", "eta": e})]["rise"] for e in config.etas])
    b.loglog(etas, rise, "o-", ms=4)
    b.loglog(etas, rise.max() * (etas / etas.max()) ** 2, "k--", lw=1, label="slope 2")
    b.set(xlabel="eta", ylabel="largest one-step increase of H", title="discrete Lion: increases are O(eta^2)")
    b.legend(fontsize=8)
    return {"lion_lyapunov": fig}


CLAIMS = (
    ClaimSpec("lion_lyapunov.*.rate_formula", "dH/dt in closed form"),
    ClaimSpec("lion_lyapunov.*.negative_control_no_momentum_term", "the momentum term is needed"),
    ClaimSpec("lion_lyapunov.*.non_increasing", "H never increases for eps gamma <= 1"),
    ClaimSpec("lion_lyapunov.*.negative_control_eps_gamma_above_one", "H increases for eps gamma > 1"),
    ClaimSpec("lion_lyapunov.discrete.euler_step", "Lion-K is forward Euler of the ODE"),
    ClaimSpec("lion_lyapunov.discrete.increase_slope", "discrete increases are O(eta^2)"),
    ClaimSpec("lion_lyapunov.discrete.negative_control_monotone", "the discrete iteration is not monotone"),
)

SIM = register(
    Sim(
        name="lion_lyapunov",
        area=AREA,
        description="The Lyapunov function of the continuous-time Lion-K: closed-form rate, monotone for "
        "eps gamma <= 1, O(eta^2) increases in discrete time",
        config_cls=LionLyapunovConfig,
        cells=cells,
        compute=compute,
        check=check,
        figures=figures,
        claims=CLAIMS,
    )
)
