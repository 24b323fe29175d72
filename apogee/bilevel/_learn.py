"""`learn_hyperparameters`: many hyperparameters of a PyTorch training problem, by hypergradients.

The user gives a model, training and validation data, and says what to learn; this module
builds the bilevel problem (inner: the weighted, regularised training loss over the model's
parameters; outer: the validation loss over the hyperparameters), picks a solver and returns the
learned values with the history of the validation loss.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from apogee._util.validation import check_choice, check_int, invalid
from apogee.bilevel._aid import AID, ITD
from apogee.bilevel._common import Solver
from apogee.bilevel._learn_settings import HyperparameterResult, LearnSettings
from apogee.bilevel._problem import BilevelProblem, InnerDerivatives, Oracles, largest_curvature
from apogee.bilevel._progress import Progress
from apogee.bilevel._solve import BilevelResult, solve

_OWNER = "learn_hyperparameters"
L2_KINDS = ("none", "shared", "per_feature")
LOSSES = ("cross_entropy", "mse")
PerSampleLoss = Callable[[Tensor, Tensor], Tensor]
"""`loss(prediction, target)` returning one loss per sample, shape `(n,)`."""


def learn_hyperparameters(
    model: torch.nn.Module,
    train: tuple[Tensor, Tensor],
    validation: tuple[Tensor, Tensor],
    *,
    l2: str = "per_feature",
    sample_weights: bool = False,
    learning_rate: bool = False,
    loss: str | PerSampleLoss = "cross_entropy",
    steps: int = 100,
    settings: LearnSettings | None = None,
    progress: bool = False,
    seed: int = 0,
) -> HyperparameterResult:
    """Learn regularisation, sample weights and/or the learning rate that minimise validation loss.

    The model is trained on `train` with the current hyperparameters, and the hyperparameters
    are moved in the direction that lowers the loss on `validation` (the direction comes from
    differentiating through training: a "hypergradient"); that repeats `steps` times. Typical
    uses: one L2 weight per input feature (automatic relevance), a weight per training sample
    that learns to ignore mislabelled samples, and the step size of training.

    Args:
        model: the model; it is copied, never changed.
        train: `(inputs, targets)` to train on, `(n, ...)` and `(n,)` (or `(n, k)` for `"mse"`).
        validation: `(inputs, targets)` to judge the hyperparameters on.
        l2: `"per_feature"` (one weight per input feature, on the first weight matrix, which
            must be `(out, d)` for `d` input features), `"shared"` (one weight on all
            parameters) or `"none"`.
        sample_weights: learn a weight in `(0, 1)` for every training sample.
        learning_rate: learn the training step size (differentiates through `inner_steps`
            training steps from the model's initial parameters).
        loss: `"cross_entropy"` (class targets), `"mse"`, or `loss(prediction, target)` giving
            one loss per sample.
        steps: hyperparameter updates.
        settings: step sizes, training steps per update, batch size; defaults if `None`.
        progress: show a progress bar with the validation loss (rich).
        seed: seeds the minibatches.

    Returns:
        The learned values, the model trained with them, and the validation-loss history.

    Example:
        >>> import torch
        >>> from apogee.bilevel import learn_hyperparameters
        >>> X, y = torch.randn(200, 5), torch.randint(0, 2, (200,))
        >>> result = learn_hyperparameters(
        ...     torch.nn.Linear(5, 2), (X[:100], y[:100]), (X[100:], y[100:]), steps=5
        ... )
        >>> result.l2_weights.shape
        torch.Size([5])
    """
    settings = LearnSettings() if settings is None else settings
    check_choice(l2, "l2", _OWNER, L2_KINDS)
    check_int(steps, "steps", _OWNER, low=1)
    for name, flag in (("sample_weights", sample_weights), ("learning_rate", learning_rate)):
        if not isinstance(flag, bool):
            raise TypeError(invalid(name, _OWNER, "a bool", flag))
    if not isinstance(model, torch.nn.Module):
        raise TypeError(invalid("model", _OWNER, "a torch.nn.Module", model))
    if l2 == "none" and not sample_weights and not learning_rate:
        raise ValueError(f"{_OWNER} has nothing to learn: set l2, sample_weights or learning_rate.")
    fit, held = _split(validation, settings.holdout, seed)
    task = _Task.make(model, train, fit, loss, l2=l2, settings=settings)
    outer = task.initial_hyperparameters(l2, sample_weights, learning_rate)
    solver = task.solver(learning_rate)
    problem = BilevelProblem(
        outer=task.outer, inner=task.inner, inner_batches=task.batches(settings.batch_size)
    )
    monitor = None if held is None else task.monitor(held)
    with Progress(steps, enabled=progress) as bar:
        result = solve(
            problem,
            outer,
            task.parameters,
            solver,
            steps=steps,
            seed=seed,
            callback=bar.update,
            monitor=monitor,
            patience=settings.patience if held is not None else None,
        )
    return task.result(result, solver.name)


@dataclass
class _Task:
    """The training problem: the model, the data, the per-sample loss and the L2 layout."""

    model: torch.nn.Module
    train: tuple[Tensor, Tensor]
    validation: tuple[Tensor, Tensor]
    per_sample: PerSampleLoss
    parameters: dict[str, Tensor]
    feature_weight: str | None
    settings: LearnSettings
    inner_lr: float = 0.1
    cap: float = math.inf

    @classmethod
    def make(
        cls,
        model: torch.nn.Module,
        train: tuple[Tensor, Tensor],
        validation: tuple[Tensor, Tensor],
        loss: str | PerSampleLoss,
        *,
        l2: str,
        settings: LearnSettings,
    ) -> _Task:
        _check_data(train, "train")
        _check_data(validation, "validation")
        if train[0].shape[1:] != validation[0].shape[1:]:
            raise ValueError(
                f"train and validation inputs must have the same feature shape, got "
                f"{tuple(train[0].shape[1:])} and {tuple(validation[0].shape[1:])}."
            )
        copied = copy.deepcopy(model)
        parameters = {
            k: p.detach().clone() for k, p in copied.named_parameters() if p.requires_grad
        }
        feature = _feature_weight(parameters, train[0].shape[-1]) if l2 == "per_feature" else None
        task = cls(copied, train, validation, _per_sample(loss), parameters, feature, settings)
        task.per_sample_check()
        return task

    def per_sample_check(self) -> None:
        inputs, targets = self.train
        with torch.no_grad():
            losses = self.per_sample(self.predict(self.parameters, inputs[:2]), targets[:2])
        if losses.shape != (min(2, len(targets)),):
            raise ValueError(
                f"The loss must return one value per sample, shape (n,), got {tuple(losses.shape)}."
            )

    def predict(self, parameters: dict[str, Tensor], inputs: Tensor) -> Tensor:
        output: Tensor = torch.func.functional_call(self.model, parameters, (inputs,))
        return output

    def l2_value(self, log_weight: Tensor) -> Tensor:
        """`exp(θ)` softly capped at `cap` (so training steps stay stable): `cap σ(θ − log cap)`."""
        if math.isinf(self.cap):
            return torch.exp(log_weight)
        return self.cap * torch.sigmoid(log_weight - math.log(self.cap))

    def inner(
        self, x: dict[str, Tensor], params: dict[str, Tensor], batch: Tensor | None = None
    ) -> Tensor:
        inputs, targets = self.train
        if batch is not None:
            inputs, targets = inputs[batch], targets[batch]
        losses = self.per_sample(self.predict(params, inputs), targets)
        if "sample_logits" in x:
            logits = x["sample_logits"] if batch is None else x["sample_logits"][batch]
            losses = torch.sigmoid(logits) * losses
        value = losses.mean()
        if "log_l2" in x and self.feature_weight is not None:
            column_norms = (params[self.feature_weight] ** 2).sum(0)
            value = value + 0.5 * (self.l2_value(x["log_l2"]) * column_norms).sum()
        elif "log_l2" in x:
            total = sum((p**2).sum() for p in params.values())
            value = value + 0.5 * self.l2_value(x["log_l2"]) * total
        return value

    def outer(self, x: dict[str, Tensor], params: dict[str, Tensor]) -> Tensor:
        inputs, targets = self.validation
        value = self.per_sample(self.predict(params, inputs), targets).mean()
        spread = self.settings.l2_spread
        if spread > 0.0 and "log_l2" in x and x["log_l2"].ndim == 1:
            logs = x["log_l2"]
            value = value + spread * ((logs - logs.mean()) ** 2).mean()
        return value

    def monitor(self, held: tuple[Tensor, Tensor]) -> Callable[[Any, Any], float]:
        """The mean loss on the held-out validation part, of the current parameters."""
        inputs, targets = held
        return lambda x, params: float(
            self.per_sample(self.predict(params, inputs), targets).mean()
        )

    def batches(self, size: int | None) -> Callable[[torch.Generator], Tensor] | None:
        if size is None:
            return None
        count = len(self.train[1])
        return lambda generator: torch.randint(0, count, (min(size, count),), generator=generator)

    def initial_hyperparameters(self, l2: str, weights: bool, lr: bool) -> dict[str, Tensor]:
        reference = next(iter(self.parameters.values()))
        dtype, device = reference.dtype, reference.device
        outer: dict[str, Tensor] = {}
        if l2 != "none":
            size = () if self.feature_weight is None else (self.train[0].shape[-1],)
            start = math.log(self.settings.initial_l2)
            outer["log_l2"] = torch.full(size, start, dtype=dtype, device=device)
        if weights:
            outer["sample_logits"] = torch.zeros(len(self.train[1]), dtype=dtype, device=device)
        if lr:
            start = math.log(self.settings.inner_lr or 0.1)
            outer["log_lr"] = torch.tensor(start, dtype=dtype, device=device)
        self._choose_step_size(outer, lr)
        return outer

    def _choose_step_size(self, outer: dict[str, Tensor], lr: bool) -> None:
        """The training step `1/L` (or the given one) and the L2 cap `L/2` it stays stable with."""
        if self.settings.inner_lr is not None or lr:
            self.inner_lr = self.settings.inner_lr or 0.1
        else:
            oracles = Oracles(
                BilevelProblem(outer=self.outer, inner=self.inner),
                outer,
                self.parameters,
                seed=0,
                owner=_OWNER,
            )
            derivatives = InnerDerivatives(oracles, oracles.xs, oracles.ys, None)
            self.inner_lr = 1.0 / largest_curvature(derivatives, oracles.generator)
        self.cap = 0.5 / self.inner_lr

    def solver(self, learn_lr: bool) -> Solver:
        settings = self.settings
        if learn_lr:
            return ITD(
                outer_lr=settings.outer_lr,
                outer_optimizer="adam",
                inner_lr=lambda x: torch.exp(x["log_lr"]),
                unroll_steps=settings.inner_steps,
                warm_start=False,
            )
        return AID(
            outer_lr=settings.outer_lr,
            outer_optimizer="adam",
            inner_lr=self.inner_lr,
            inner_steps=settings.inner_steps,
            linear_steps=20,
        )

    def result(self, run: BilevelResult, name: str) -> HyperparameterResult:
        """The learned values at the best held-out update (or the last), in a trained copy."""
        best = run.best_iteration is not None
        outer = run.best_outer if best else run.outer
        inner = run.best_inner if best else run.inner
        with torch.no_grad():
            for key, parameter in self.model.named_parameters():
                if key in inner:
                    parameter.copy_(inner[key])
        return HyperparameterResult(
            model=self.model,
            l2_weights=self.l2_value(outer["log_l2"]).detach() if "log_l2" in outer else None,
            sample_weights=torch.sigmoid(outer["sample_logits"])
            if "sample_logits" in outer
            else None,
            learning_rate=float(torch.exp(outer["log_lr"])) if "log_lr" in outer else None,
            validation_losses=run.outer_losses,
            seconds=run.seconds,
            solver=name,
            holdout_losses=run.monitor_values,
            best_step=run.best_iteration if best else run.iterations[-1],
        )


def _split(
    validation: tuple[Tensor, Tensor], fraction: float, seed: int
) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor] | None]:
    """`(fit, held)`: a random `fraction` of the validation samples held out (`None` if 0)."""
    _check_data(validation, "validation")
    if fraction == 0.0:
        return validation, None
    inputs, targets = validation
    count = len(targets)
    held_count = round(fraction * count)
    if not 1 <= held_count <= count - 1:
        raise ValueError(
            invalid(
                "holdout",
                "LearnSettings",
                f"a fraction leaving both parts of {count} validation samples non-empty",
                fraction,
            )
        )
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed))
    held, fit = order[:held_count].to(inputs.device), order[held_count:].to(inputs.device)
    return (inputs[fit], targets[fit]), (inputs[held], targets[held])


def _check_data(data: Any, name: str) -> None:
    expected = "a pair (inputs, targets) of tensors with the same first dimension"
    if not (
        isinstance(data, tuple | list)
        and len(data) == 2
        and all(isinstance(t, Tensor) for t in data)
    ):
        raise TypeError(invalid(name, _OWNER, expected, type(data).__name__))
    inputs, targets = data
    if inputs.ndim < 2 or inputs.shape[0] != targets.shape[0] or inputs.shape[0] == 0:
        shapes = (tuple(inputs.shape), tuple(targets.shape))
        raise ValueError(invalid(name, _OWNER, expected + " (inputs at least 2-d)", shapes))


def _feature_weight(parameters: dict[str, Tensor], features: int) -> str:
    """The first weight matrix `(out, d)` over the `d` input features (for per-feature L2)."""
    for key, parameter in parameters.items():
        if parameter.ndim == 2 and parameter.shape[1] == features:
            return key
    shapes = {k: tuple(p.shape) for k, p in parameters.items()}
    raise ValueError(
        invalid("l2", _OWNER, f"'per_feature' only with a weight matrix (out, {features})", shapes)
    )


def _per_sample(loss: str | PerSampleLoss) -> PerSampleLoss:
    if callable(loss):
        return loss
    check_choice(loss, "loss", _OWNER, LOSSES)
    if loss == "cross_entropy":
        return lambda prediction, target: torch.nn.functional.cross_entropy(
            prediction, target, reduction="none"
        )
    return lambda prediction, target: (
        ((prediction - target.reshape(prediction.shape)) ** 2).reshape(len(target), -1).mean(1)
    )
