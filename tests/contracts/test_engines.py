"""Every engine in the registry passes `OptimizerContract`."""

from apogee.optimizers import CBO, CMAES, DE, NSGA3, ZO, Auto, Engine, Random, Sobol
from apogee.testing import OptimizerContract


class TestRandomContract(OptimizerContract):
    def make_engine(self) -> Engine:
        return Random()


class TestSobolContract(OptimizerContract):
    def make_engine(self) -> Engine:
        return Sobol()


class TestNSGA3Contract(OptimizerContract):
    def make_engine(self) -> Engine:
        return NSGA3(population_size=4)


class TestCMAESContract(OptimizerContract):
    def make_engine(self) -> Engine:
        return CMAES()


class TestDEContract(OptimizerContract):
    def make_engine(self) -> Engine:
        return DE(population_size=4)


class TestCBOContract(OptimizerContract):
    def make_engine(self) -> Engine:
        return CBO(particles=4)


class TestZOContract(OptimizerContract):
    def make_engine(self) -> Engine:
        return ZO()


class TestAutoContract(OptimizerContract):
    def make_engine(self) -> Engine:
        # GP for the first 5 trials (its Sobol' start-up), then CMA-ES: the switch is exercised
        # and the GP's model fits, contract-tested in tests/optimizers/test_gp.py, are not redone.
        return Auto(gp_trials=5)


class TestAutoPortfolioContract(OptimizerContract):
    def make_engine(self) -> Engine:
        return Auto(portfolio=True, gp_max_dim=0)  # CMA-ES and DE arms; GP has its own contract


def test_auto_switches_to_nsga2_for_several_objectives() -> None:
    import apogee as ap
    from apogee.optimizers import Auto

    space = ap.Space({"x": ap.Float(0, 1), "y": ap.Float(0, 1)})
    study = ap.create_study(
        "mo",
        space=space,
        objectives={"f1": "minimize", "f2": "minimize"},
        optimizer=Auto(gp_trials=5),  # the GP (log EHVI) for 5 trials, then the population policy
        seed=0,
    )
    study.optimize(
        lambda p: {"f1": p["x"], "f2": 1 - p["x"] + p["y"]}, n_trials=100, progress=False
    )
    assert [entry["engine"] for entry in study.attrs["auto:log"]] == ["gp", "sobol"]
    study.optimize(lambda p: {"f1": p["x"], "f2": 1 - p["x"] + p["y"]}, n_trials=2, progress=False)
    assert study.attrs["auto"]["engine"] == "nsga2"
    assert [t.system_attrs.get("nsga2:generation") for t in study.trials[-2:]] == [1, 1]
