"""The students bench's bookkeeping: every scheme's config loads, and the paired verdicts from per-seed rows."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from interpret_distill.config import load_config

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_students.py"


@pytest.fixture(scope="module")
def bench():
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCH.parent))  # it imports verdict.py beside it, as when run as a script
        spec = importlib.util.spec_from_file_location("bench_students", BENCH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def test_every_scheme_is_a_valid_config_of_the_digits_bench(bench):
    configs = {scheme: load_config(bench.CONFIG, {**bench.NO_EXTRAS, **overrides})
               for scheme, overrides in bench.SCHEMES.items()}
    assert configs["kd_mlp"].student.arch == "mlp" and configs["kd_mlp"].student.hidden == [24]
    assert [c.depth for c in configs["soft_tree"].student.sizes()] == list(bench.DEPTHS)
    assert [point["max_depth"] for point in configs["soft_tree"].surrogates[0].grid] == list(bench.DEPTHS)
    assert configs["born_again"].student.born_again.generations == 2
    assert configs["hint"].student.loss == "hint" and configs["hint"].student.arch == "cnn"


def rows(differences: list[int], scheme: str = "soft_tree", model: str = "soft tree depth 8") -> pd.DataFrame:
    n_test = 450
    return pd.DataFrame({"scheme": scheme, "model": model, "seed": range(len(differences)), "n_test": n_test,
                         "accuracy": [(400 + d) / n_test for d in differences], "scratch_accuracy": 400 / n_test})


def test_a_distilled_student_ahead_on_every_seed_beats_its_scratch_twin(bench):
    judged = bench.verdicts(rows([2, 3, 4])).iloc[0]
    assert judged.differences == [2, 3, 4] and judged.mean_rows == pytest.approx(3.0)
    assert judged.at_least == "PASS" and judged.beats == "PASS"


def test_a_distilled_student_behind_on_every_seed_is_a_miss(bench):
    judged = bench.verdicts(rows([-5, -6, -7])).iloc[0]
    assert judged.mean_rows == pytest.approx(-6.0) and judged.high < 0
    assert judged.at_least == "MISS" and judged.beats == "MISS"


def test_a_tie_is_at_least_as_accurate_but_does_not_beat(bench):
    judged = bench.verdicts(rows([0, 0, 0])).iloc[0]
    assert judged.at_least == "PASS" and judged.beats == "MISS"


def test_born_again_students_are_also_judged_against_the_teacher(bench):
    students = rows([1, 2, 3], scheme="born_again", model="born-again generation 1")
    teacher = students.assign(model="teacher", accuracy=[403 / 450, 403 / 450, 404 / 450], scratch_accuracy=None)
    judged = bench.verdicts(pd.concat([teacher, students], ignore_index=True))
    assert judged.against.tolist() == ["its scratch twin", "the teacher"]
    assert judged.differences.tolist() == [[1, 2, 3], [-2, -1, -1]]
    assert judged.beats.tolist() == ["PASS", "MISS"]
