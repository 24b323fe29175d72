"""Bilevel test problems with known answers (shared/reference/bilevel-zo.md 2.1, 2.2, 2.5)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.datasets import make_regression
from torch import Tensor

from apogee.bilevel import BilevelProblem

DTYPE = torch.float64


def _spd(rng: np.random.Generator, dim: int, low: float, high: float) -> np.ndarray:
    basis, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    return (basis * rng.uniform(low, high, dim)) @ basis.T


@dataclass(frozen=True)
class Quadratic:
    """benchopt's simulated quadratic bilevel problem, with per-sample linear terms.

    `g(x, z) = ½zᵀAz + ½xᵀBx + xᵀCz + āᵀz + bᵀx` and `f(x, z) = ½zᵀFz + ½xᵀHx + xᵀKz + f̄ᵀz + hᵀx`
    where `ā`, `f̄` are means over `samples` per-sample vectors `a_i`, `f_i` (a minibatch
    averages a subset), so every closed form is one linear solve.
    """

    A: Tensor
    B: Tensor
    C: Tensor
    a: Tensor  # (samples, dim_inner)
    b: Tensor
    F: Tensor
    H: Tensor
    K: Tensor
    f0: Tensor  # (samples, dim_inner)
    h: Tensor

    @classmethod
    def make(
        cls, dim_outer: int = 10, dim_inner: int = 10, samples: int = 256, seed: int = 2442
    ) -> Quadratic:
        rng = np.random.default_rng(seed)
        while True:
            A = _spd(rng, dim_inner, 0.5, 1.0)
            F = _spd(rng, dim_inner, 0.0, 1.0)
            H = _spd(rng, dim_outer, 0.5, 1.0)
            C = 0.1 * rng.standard_normal((dim_outer, dim_inner))
            K = 0.1 * rng.standard_normal((dim_outer, dim_inner))
            M = -np.linalg.solve(A, C.T)
            hessian = M.T @ F @ M + H + K @ M + M.T @ K.T
            if np.linalg.eigvalsh(hessian).min() >= 1e-3:
                break
        a = rng.standard_normal(dim_inner) + rng.standard_normal((samples, dim_inner))
        f0 = rng.standard_normal(dim_inner) + rng.standard_normal((samples, dim_inner))
        t = lambda m: torch.tensor(m, dtype=DTYPE)  # noqa: E731
        B = _spd(rng, dim_outer, 0.5, 1.0)
        b, h = rng.standard_normal(dim_outer), rng.standard_normal(dim_outer)
        return cls(t(A), t(B), t(C), t(a), t(b), t(F), t(H), t(K), t(f0), t(h))

    def inner(self, x: Tensor, z: Tensor, batch: Tensor | None = None) -> Tensor:
        a = self.a.mean(0) if batch is None else self.a[batch].mean(0)
        return 0.5 * z @ self.A @ z + 0.5 * x @ self.B @ x + x @ self.C @ z + a @ z + self.b @ x

    def outer(self, x: Tensor, z: Tensor, batch: Tensor | None = None) -> Tensor:
        f0 = self.f0.mean(0) if batch is None else self.f0[batch].mean(0)
        return 0.5 * z @ self.F @ z + 0.5 * x @ self.H @ x + x @ self.K @ z + f0 @ z + self.h @ x

    def problem(self, batch_size: int | None = None) -> BilevelProblem:
        if batch_size is None:
            return BilevelProblem(outer=self.outer, inner=self.inner)
        samples = self.a.shape[0]

        def batches(generator: torch.Generator) -> Tensor:
            return torch.randint(0, samples, (batch_size,), generator=generator)

        return BilevelProblem(
            outer=self.outer, inner=self.inner, outer_batches=batches, inner_batches=batches
        )

    def inner_solution(self, x: Tensor) -> Tensor:
        return torch.linalg.solve(self.A, -self.a.mean(0) - self.C.T @ x)

    def hypergradient(self, x: Tensor) -> Tensor:
        z = self.inner_solution(x)
        fz = self.F @ z + self.K.T @ x + self.f0.mean(0)
        fx = self.H @ x + self.K @ z + self.h
        return fx - self.C @ torch.linalg.solve(self.A, fz)

    def outer_solution(self) -> Tensor:
        M = -torch.linalg.solve(self.A, self.C.T)
        hessian = M.T @ self.F @ M + self.H + self.K @ M + M.T @ self.K.T
        gradient0 = self.hypergradient(torch.zeros(self.H.shape[0], dtype=DTYPE))
        return -torch.linalg.solve(hessian, gradient0)


@dataclass(frozen=True)
class Ridge:
    """jaxopt's ridge problem: `make_regression(10, 3, random_state=0)`, λ = 5 (2.1)."""

    X: Tensor
    t: Tensor
    X_val: Tensor
    t_val: Tensor

    @classmethod
    def make(cls) -> Ridge:
        X, t = make_regression(n_samples=10, n_features=3, random_state=0)
        Xv, tv = make_regression(n_samples=8, n_features=3, random_state=1)
        return cls(*(torch.tensor(v, dtype=DTYPE) for v in (X, t, Xv, tv)))

    def inner(self, lam: Tensor, w: Tensor) -> Tensor:
        return 0.5 * ((self.X @ w - self.t) ** 2).mean() + 0.5 * lam * (w @ w)

    def outer(self, lam: Tensor, w: Tensor) -> Tensor:
        return ((self.X_val @ w - self.t_val) ** 2).mean()

    def problem(self) -> BilevelProblem:
        return BilevelProblem(outer=self.outer, inner=self.inner)

    def solution(self, lam: float) -> Tensor:
        n = len(self.t)
        system = self.X.T @ self.X + n * lam * torch.eye(3, dtype=DTYPE)
        return torch.linalg.solve(system, self.X.T @ self.t)

    def hypergradient(self, lam: float) -> float:
        """`dL/dλ = (2/n_val)(X_val w* − t_val)ᵀ X_val dw*/dλ`, `dw*/dλ = −n (XᵀX + nλI)⁻¹ w*`."""
        n, w = len(self.t), self.solution(lam)
        system = self.X.T @ self.X + n * lam * torch.eye(3, dtype=DTYPE)
        jacobian = -n * torch.linalg.solve(system, w)
        residual = self.X_val @ w - self.t_val
        return float(2.0 / len(self.t_val) * residual @ self.X_val @ jacobian)


def _optimum_noise(quadratic: Quadratic, draws: int) -> tuple[Tensor, Tensor]:
    """The value function's Hessian `Hₕ` and the covariance of `x*(S) − x*` for `draws` draws.

    `x*(S)` is the optimum of the problem built from a sample `S`: `draws` indices drawn
    uniformly with replacement for `g` and, independently, `draws` for `f` (as
    `problem(batch_size)` draws them). Only the linear terms are sampled and the optimum is
    linear in their means, `x* = −Hₕ⁻¹ (P ā + Q f̄ + h)` with `P = (C A⁻¹ F − K) A⁻¹` and
    `Q = −C A⁻¹`, so the covariance is `Hₕ⁻¹ (P Σₐ Pᵀ + Q Σ_f Qᵀ) Hₕ⁻ᵀ / draws` with `Σₐ`, `Σ_f`
    the population covariances of the per-sample vectors: exact, no Monte Carlo.
    """
    A_inv = torch.linalg.inv(quadratic.A)
    M = -A_inv @ quadratic.C.T
    hessian = M.T @ quadratic.F @ M + quadratic.H + quadratic.K @ M + M.T @ quadratic.K.T
    P = (quadratic.C @ A_inv @ quadratic.F - quadratic.K) @ A_inv
    Q = -quadratic.C @ A_inv
    covariance_a = torch.cov(quadratic.a.T, correction=0)
    covariance_f = torch.cov(quadratic.f0.T, correction=0)
    inverse = torch.linalg.inv(hessian)
    spread = P @ covariance_a @ P.T + Q @ covariance_f @ Q.T
    return hessian, inverse @ spread @ inverse.T / draws


def batch_optimum_rms(quadratic: Quadratic, draws: int) -> float:
    """`√E‖x*(S) − x*‖²` for samples of `draws` draws (`_optimum_noise`)."""
    _, covariance = _optimum_noise(quadratic, draws)
    return float(torch.sqrt(torch.trace(covariance)))


def stationary_rms(quadratic: Quadratic, draws: int, lr: float) -> float:
    """`√E‖x − x*‖²` of `x ← x − η ∇h_S(x)` at stationarity, a fresh sample `S` each step.

    The sampled value function has the same Hessian, so `∇h_S(x) = Hₕ (x − x*(S))` and the
    error follows `e ← (I − ηHₕ) e + ηHₕ ξ` with `ξ = x*(S) − x*` of covariance `Σ`. In the
    eigenbasis of `Hₕ` the stationary mean square is `Σ_i ηλ_i Σ_ii / (2 − ηλ_i)`
    (needs `ηλ_max < 2`); below `ηλ = 1` each term is at most `Σ_ii`, the noise of one
    sample's optimum.
    """
    hessian, covariance = _optimum_noise(quadratic, draws)
    eigenvalues, basis = torch.linalg.eigh(hessian)
    variances = torch.diagonal(basis.T @ covariance @ basis)
    products = lr * eigenvalues
    if float(products.max()) >= 2.0:
        raise ValueError(f"lr {lr} is unstable: lr * max eigenvalue = {float(products.max())}")
    return float(torch.sqrt((products * variances / (2.0 - products)).sum()))
