"""Ensemble teachers: the two ways of averaging, the config, the per-member table and saving without pickle."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from interpret_distill import artifacts
from interpret_distill.config import TeacherConfig, parse_config
from interpret_distill.data import Dataset
from interpret_distill.ensemble import EnsembleTeacher, member_table, resolve_ensemble
from interpret_distill.errors import ConfigError
from interpret_distill.models import build_network, predict_proba
from interpret_distill.teachers import resolve_teacher, teacher_cache_key


class Fixed(nn.Module):
    """Returns the same logits for every row."""

    def __init__(self, logits):
        super().__init__()
        self.register_buffer("logits", torch.tensor([logits]))

    def forward(self, x):
        return self.logits.expand(len(x), -1) + 0 * x[:, :1]


def test_averaging_probabilities_and_averaging_logits_can_pick_different_classes():
    # one member sure of class 0 (logit 10), two leaning to class 1 (logit 2)
    members = [Fixed([10.0, 0.0, 0.0]), Fixed([0.0, 2.0, 0.0]), Fixed([0.0, 2.0, 0.0])]
    x = torch.zeros(1, 1)
    # mean logits (10/3, 4/3, 0): class 0
    logits = EnsembleTeacher(members, "logits")(x)
    torch.testing.assert_close(logits, torch.tensor([[10 / 3, 4 / 3, 0.0]]))
    assert logits.argmax(1).item() == 0
    # mean probabilities: class 0 (1/(1 + 2e⁻¹⁰) + 2/(e² + 2)) / 3 = 0.405, class 1 about 2/3 e²/(e² + 2) = 0.525
    probabilities = torch.softmax(EnsembleTeacher(members, "probabilities")(x), 1)
    e2, tiny = np.exp(2.0), np.exp(-10.0) / (1 + 2 * np.exp(-10.0))
    expected = [(1 / (1 + 2 * np.exp(-10.0)) + 2 / (e2 + 2)) / 3, (tiny + 2 * e2 / (e2 + 2)) / 3,
                (tiny + 2 / (e2 + 2)) / 3]
    torch.testing.assert_close(probabilities, torch.tensor([expected], dtype=torch.float32))
    assert probabilities.argmax(1).item() == 1


def test_a_list_of_teachers_is_an_ensemble_and_its_settings_belong_to_each_member():
    cfg = parse_config({"name": "x", "data": {"name": "iris"}, "teacher": [{"hidden": [8]}, {"hidden": [4]}]})
    assert [m.hidden for m in cfg.teacher.members] == [[8], [4]] and cfg.teacher.combine == "probabilities"
    assert parse_config(cfg.model_dump(mode="json")).teacher == cfg.teacher  # run.json reads back
    for teacher, message in (([{}], "needs two or more"), ({"members": [{}, {}], "epochs": 3}, "teacher.epochs is "
                              "set beside teacher.members"), ({"combine": "logits"}, "read only for an ensemble"),
                             ([{"members": [{}, {}]}, {}], "may not be ensembles themselves")):
        with pytest.raises(ConfigError, match=message):
            parse_config({"name": "x", "data": {"name": "iris"}, "teacher": teacher})


def test_a_member_trained_here_keeps_the_cache_key_of_the_same_teacher_alone():
    X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
    ds = Dataset("toy", X, y, X, y, X, y, list("abcd"), ["no", "yes"], np.zeros(4), np.ones(4))
    member = TeacherConfig.model_validate([{"hidden": [8]}, {}]).members[0]
    assert teacher_cache_key(ds, member, 0) == teacher_cache_key(ds, TeacherConfig(hidden=[8]), 0)


def test_the_member_table_counts_agreement_with_each_member_on_the_split():
    # 4 rows: the members agree on the first two and disagree on the last two; the ensemble follows member 1 there
    m0 = np.array([[0.9, 0.1], [0.1, 0.9], [0.8, 0.2], [0.7, 0.3]])
    m1 = np.array([[0.9, 0.1], [0.1, 0.9], [0.1, 0.9], [0.2, 0.8]])
    ensemble = (m0 + m1) / 2
    y = np.array([0, 1, 0, 1])
    surrogate = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])  # with member 1, then with member 0
    table = member_table([m0, m1], {"teacher": ensemble, "tree:soft": surrogate},
                         {"teacher": "reference", "tree:soft": "distilled"}, ensemble, y).set_index("model")
    assert table.role.tolist() == ["member", "member", "reference", "distilled"]
    assert table.accuracy.tolist() == [0.75, 0.75, 0.75, 0.5]  # each member misses one row, the tree two
    assert table.fidelity_member_0.tolist() == [1.0, 0.5, 0.5, 0.75]
    assert table.fidelity_member_1.tolist() == [0.5, 1.0, 1.0, 0.75]
    assert table.fidelity.tolist() == [0.5, 1.0, 1.0, 0.75]


def _toy() -> Dataset:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    return Dataset("toy", X, y, X, y, X, y, list("abcd"), ["no", "yes"], np.zeros(4), np.ones(4))


@pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning")
def test_an_ensemble_of_a_built_in_and_a_brought_teacher_is_saved_without_pickle_and_loads_back(tmp_path):
    ds = _toy()
    torch.manual_seed(0)
    scripted = torch.jit.script(build_network("mlp", 4, 2, hidden=[3]).eval())
    torch.jit.save(scripted, str(tmp_path / "brought.ts"))
    cfg = TeacherConfig.model_validate({"members": [{"hidden": [5], "epochs": 2},
                                                    {"checkpoint": str(tmp_path / "brought.ts"), "inputs": "scaled"}],
                                        "combine": "logits"})
    ensemble, info = resolve_ensemble(ds, cfg, 0, resolve_teacher, use_cache=False, progress=False)
    assert [m["source"] for m in info["members"]] == ["trained", f"checkpoint:{tmp_path / 'brought.ts'}"]
    assert info["source"] == "ensemble" and info["kind"] == "ensemble"  # one member was not trained here
    folder = tmp_path / "models"
    folder.mkdir()
    entry = artifacts.save_network(ensemble, folder, "teacher", ds.X_train[:2])
    assert entry["combine"] == "logits" and [m["format"] for m in entry["members"]] == ["state_dict", "torchscript"]
    assert sorted(p.name for p in folder.iterdir()) == ["teacher.member_0.pt", "teacher.member_1.ts"]
    loaded = artifacts.load_network(folder, json.loads(json.dumps(entry)))
    np.testing.assert_allclose(predict_proba(loaded, ds.X_test), predict_proba(ensemble, ds.X_test), atol=1e-6)
