"""The GP engine without and with the noisy-incumbent switch, as `apogee bench` solvers.

`old` is `GP(noisy_above=None)` (the default: LogEI over the best observed value), `new` is
`GP(noisy_above=1e-4)` (LogEI over the best posterior mean once the fitted noise variance
exceeds 1e-4 of the signal's). Both run in one code base, so only the switch differs. Three more
isolate the parts: `nei` (`log_nei`: the noisy incumbent always), `nowarp` (`old` without the
power warping) and `neinowarp` (both).

    PYTHONPATH=.:benchmarks apogee bench run --problems branin-noise1 \\
        --solvers gp_noisy_variants:old,gp_noisy_variants:new --seeds 0-4 --budget 30 \\
        --jobs 1 --out /tmp/noisy.jsonl
"""

from __future__ import annotations

from dataclasses import dataclass

from apogee.bench._apogee import ApogeeSolver


@dataclass(frozen=True)
class Variant(ApogeeSolver):
    """An `ApogeeSolver` whose name is `module:attribute`, so bench children can load it."""

    @property
    def name(self) -> str:
        return f"{__name__}:{self.variant}"


old = Variant("gp", "old", (("noisy_above", None),))
new = Variant("gp", "new", (("noisy_above", 1e-4),))
nei = Variant("gp", "nei", (("acquisition", "log_nei"),))
nowarp = Variant("gp", "nowarp", (("noisy_above", None), ("warping", False)))
neinowarp = Variant("gp", "neinowarp", (("acquisition", "log_nei"), ("warping", False)))
