"""Small deterministic problems with known gradients, shared by the `apogee.nn` tests."""

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Quadratic:
    """`f(x) = ½xᵀAx + bᵀx` with a symmetric positive definite `A`, in float64."""

    A: torch.Tensor
    b: torch.Tensor

    @classmethod
    def random(cls, dim: int, seed: int, device: torch.device) -> "Quadratic":
        generator = torch.Generator().manual_seed(seed)
        root = torch.randn(dim, dim, generator=generator, dtype=torch.float64)
        A = root @ root.T / dim + torch.eye(dim, dtype=torch.float64)
        b = torch.randn(dim, generator=generator, dtype=torch.float64)
        return cls(A.to(device), b.to(device))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x @ self.A @ x + self.b @ x

    def grad(self, x: torch.Tensor) -> torch.Tensor:
        return self.A @ x + self.b


def small_mlp(device: torch.device, seed: int = 0, width: int = 8) -> torch.nn.Module:
    """A 3 → width → 1 tanh network with fixed weights."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(3, width), torch.nn.Tanh(), torch.nn.Linear(width, 1)
    ).to(device)


def regression_data(device: torch.device, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """32 fixed points `x ∈ R³` with targets `sin(x₁) + x₂x₃`."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(32, 3, generator=generator)
    y = (torch.sin(x[:, 0]) + x[:, 1] * x[:, 2]).unsqueeze(1)
    return x.to(device), y.to(device)
