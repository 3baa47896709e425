"""Config validation: every mistake is caught when the config is read, as one line naming the key and the fix."""

from __future__ import annotations

import copy

import pytest
import yaml

from interpret_distill.config import DataConfig, StudentConfig, TeacherConfig, load_config, parse_config
from interpret_distill.errors import ConfigError, UserInputError

BASE = {
    "name": "cfg",
    "data": {"source": "csv", "path": "x.csv", "target": "label"},
    "surrogates": [{"kind": "tree", "grid": [{"max_depth": 2}]}, {"kind": "linear"}],
    "transfer": {"augmentation": "mixup", "n_synthetic": 10},
}


def _raw(**changes):
    raw = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = raw
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        node[leaf] = value
    return raw


@pytest.mark.parametrize("changes, expected", [
    ({"seed_": 1}, "unknown key 'seed_' (did you mean 'seed'?)"),
    ({"data__targte": "y"}, "unknown key 'data.targte' (did you mean 'target'?)"),
    ({"teacher__hiden": [4]}, "unknown key 'teacher.hiden' (did you mean 'hidden'?)"),
    ({"surrogates__0__parms": {}}, "unknown key 'surrogates.0.parms' (did you mean 'params'?)"),
    ({"seed": "abc"}, "seed: Input should be a valid integer"),
    ({"data__test_size": 1.5}, "data.test_size: Input should be less than 1"),
    ({"teacher__arch": "transformer"}, "teacher.arch: Input should be 'mlp', 'cnn' or 'resnet'"),
    ({"surrogates__0__grid": [{"max_depth": "three"}]}, "surrogates.0.grid.0 (tree): The 'max_depth' parameter"),
    ({"surrogates__1__params": {"C": -1}},  # scikit-learn's parameter validation, checked without fitting
     "surrogates.1.params (linear): The 'C' parameter of LinearSurrogate must be a float in the range (0.0, inf). "
     "Got -1 instead."),
    ({"surrogates__0__kind": "trea"},
     "surrogates.0.kind: unknown surrogate kind 'trea' (did you mean 'tree'?); allowed: tree, linear, naive_bayes, "
     "additive"),
    ({"surrogates__1__params": {"depth": 3}}, "unknown parameter(s) depth for surrogate 'linear'"),
    ({"student__loss": "kdd"}, "student: unknown loss 'kdd'; allowed: dkd, hint, kd, mse"),
    ({"student__loss_params": {"temp": 2.0}}, "student: loss 'kd' has no parameter(s) temp"),
    ({"transfer__augmentation": "mixupp"}, "transfer: unknown augmentation 'mixupp'; allowed:"),
    ({"transfer__params": {"alfa": 0.2}}, "transfer: augmentation 'mixup' has no parameter(s) alfa"),
    ({"attribution__methods": ["integrated_gradient"]},
     "unknown attribution.methods ['integrated_gradient'] (did you mean 'integrated_gradients'?)"),
    ({"regimes": ["soft", "sof+transfer"]}, "regimes: unknown regime(s) ['sof+transfer']"),
    ({"name": "../escape"}, "name '../escape' names the run folder"),
    ({"data__encoding": "utf9"}, "data.encoding: unknown text encoding 'utf9'"),
    ({"data__image_shape": [0, 8]}, "data.image_shape must be [channels, height, width]"),
    ({"data__features": ["a", "label"]}, "data.features lists the target column 'label'"),
    ({"data__features": ["a"], "data__categorical": ["b"]},
     "data.categorical names ['b'], which are not in data.features"),
    ({"data__target": None}, "data.target (the label column) is required"),
    ({"teacher__factory": "not a factory"}, "teacher.factory 'not a factory' must look like 'package.module:function'"),
    ({"teacher__factory": "pkg.mod:build", "teacher__checkpoint": "t.pt"}, "teacher.checkpoint and teacher.factory"),
    # out-of-range values, caught here rather than after the teacher has trained
    ({"seed": -1}, "seed: Input should be greater than or equal to 0"),
    ({"n_jobs": 0}, "n_jobs must be a number of workers (1, 2, ...) or -1 for all cores, not 0"),
    ({"teacher__hidden": [64, 0]}, "teacher.hidden.1: Input should be greater than 0"),
    ({"student__channels": [-4]}, "student.channels.0: Input should be greater than 0"),
    ({"student__loss_params": {"temperature": 0.0}}, "student: loss 'kd': temperature must be > 0, got 0.0"),
    ({"student__loss": "dkd", "student__loss_params": {"beta": -1.0}}, "student: loss 'dkd': beta must be >= 0"),
    ({"student__loss": "mse", "student__loss_params": {"alpha": 2.0}}, "loss 'mse': alpha must lie in [0, 1]"),
    ({"transfer__params": {"alpha": -1.0}}, "transfer: augmentation 'mixup': alpha must be > 0, got -1.0"),
    ({"transfer__augmentation": "noise", "transfer__params": {"scale": -0.1}},
     "transfer: augmentation 'noise': scale must be >= 0"),
    ({"transfer__augmentation": "neighbours", "transfer__params": {"k": 0}},
     "augmentation 'neighbours': k must be >= 1"),
    ({"transfer__candidates": [{"augmentation": "kde", "n_synthetic": 5, "params": {"bandwidth": -1}}]},
     "transfer.candidates.0: augmentation 'kde': bandwidth must be >= 0"),
    ({"student__transfer_set": {"augmentation": "local_kde", "n_synthetic": 5, "params": {"k": 0}}},
     "student.transfer_set: augmentation 'local_kde': k must be >= 1"),
    ({"student__grid": [{"hidden": [4]}, {"channels": [2]}]},
     "student.grid.1 must set hidden only (the width of arch 'mlp'), e.g. {hidden: [8]}"),
    ({"student__grid": [{}]}, "a student.grid point needs hidden (mlp), channels (cnn, resnet) or depth (soft_tree)"),
    ({"student__grid": [{"hiden": [4]}]}, "unknown key 'student.grid.0.hiden' (did you mean 'hidden'?)"),
    ({"student__grid": []}, "student.grid: List should have at least 1 item"),
    ({"student__budget": 0}, "student.budget: Input should be greater than 0"),
    ({"student__grid": [{"hidden": [4], "foo": 1}]},
     "unknown key 'student.grid.0.foo'; allowed here: channels, depth, hidden"),
    ({"student__arch": "soft_tree", "student__grid": [{"depth": 2}, {"hidden": [4]}]},
     "student.grid.1 must set depth only (the width of arch 'soft_tree'), e.g. {depth: 4}"),
    ({"student__arch": "soft_tree", "student__depth": 0}, "student.depth: Input should be greater than 0"),
    ({"student__arch": "soft_tree", "student__beta": 0}, "student.beta: Input should be greater than 0"),
    ({"student__arch": "soft_tree", "student__penalty": -1}, "student.penalty: Input should be greater than or equal"),
    ({"student__arch": "tree"}, "student.arch: Input should be 'mlp', 'cnn', 'resnet' or 'soft_tree'"),
    ({"student__born_again": {"generations": 0}}, "student.born_again.generations: Input should be greater than"),
    ({"student__born_again": {"generations": 2}, "student__arch": "cnn"},
     "student.born_again trains the teacher's own architecture, so student.arch would be ignored; drop it"),
    ({"student__grid": [4, 8]}, "student.grid.0: expected settings as key: value pairs, got 4"),
    ({"surrogates": ["tree"]}, "surrogates.0: expected settings as key: value pairs, got 'tree'"),
    ({"data": {"name": "irs"}}, "data.name: unknown built-in dataset 'irs' (did you mean 'iris'?)"),
    ({"data": {"name": "iris", "features": ["a"]}},
     "data.features is read only for data.source csv / parquet, not 'sklearn'"),
    ({"data": {"source": "npz", "path": "a.npz", "target": "y"}},
     "data.target is read only for data.source csv / parquet"),
    ({"regimes": ["ground_truth", "hard"]}, "has no distilled regime"),
    ({"regimes": ["hard", "soft+transfer"], "transfer": {}}, "has no distilled regime"),  # no transfer set to fit on
    ({"transfer__temperature": float("inf")}, "transfer.temperature: Input should be a finite number"),
    ({"transfer__n_synthetic": 10**12}, "transfer.n_synthetic: Input should be less than or equal to 1000000"),
    ({"name": "index.html"}, "name 'index.html' is the index page"),
])
def test_invalid_configs_name_the_key_and_the_fix(changes, expected):
    with pytest.raises(ConfigError) as info:
        parse_config(_raw(**changes), origin="exp.yaml")
    message = str(info.value)
    assert message.startswith("exp.yaml: ")
    assert expected in message
    assert "\n" not in message


def test_valid_config_and_normalised_fields():
    cfg = parse_config(_raw(data__image_shape=[8, 8], data__encoding="latin-1"))
    assert cfg.data.image_shape == (1, 8, 8)
    assert cfg.data.encoding == "latin-1"
    assert TeacherConfig(factory="pkg.sub_mod:make_teacher").factory == "pkg.sub_mod:make_teacher"
    assert DataConfig(name="iris").source == "sklearn"


def test_every_shipped_preset_is_valid():
    from interpret_distill.config import shipped_configs

    for name in shipped_configs():
        assert load_config(name).name


@pytest.mark.parametrize("name", ["iris", "digits"])
def test_a_resolved_config_as_saved_in_run_json_loads_back(name, tmp_path):
    """run.json and the report hold ``model_dump(mode="json")`` (null for unset fields): it must run again as is."""
    from interpret_distill.config import shipped_configs

    assert name in shipped_configs()
    cfg = load_config(name)
    cnn = cfg.model_copy(update={"student": StudentConfig(arch="cnn", grid=[{"channels": [2]}, {"channels": [4]}])})
    no_transfer = load_config(name, {"transfer": {"augmentation": None, "candidates": []},
                                     "student": {"loss": "mse"}})
    assert no_transfer.fitted_regimes() == ["ground_truth", "hard", "soft"] and no_transfer.student.loss_params == {}
    for original in (cfg, cnn, no_transfer):
        path = tmp_path / "resolved.yaml"
        path.write_text(yaml.safe_dump(original.model_dump(mode="json")))
        assert load_config(path) == original


def test_load_config_file_errors(tmp_path):
    with pytest.raises(UserInputError, match="no config file or preset named"):
        load_config(tmp_path / "missing.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ConfigError, match="the file is empty"):
        load_config(empty)
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(listed)
    with pytest.raises(ConfigError, match="expected a mapping"):  # not a TypeError from merging the overrides
        load_config(listed, {"seed": 1})


def test_yaml_tags_that_would_run_code_are_refused(tmp_path):
    """yaml.safe_load: a python/object tag is an error, never an object construction."""
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.yaml"
    evil.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\ndata: {{name: iris}}\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(evil)
    assert not marker.exists()


def test_an_override_of_a_selector_drops_the_settings_of_the_old_choice():
    # a new width replaces the preset's width grid; a new augmentation its parameters; a new loss its parameters
    cfg = load_config("iris", {"student": {"hidden": [4], "loss": "mse"}})
    assert [size.hidden for size in cfg.student.sizes()] == [[4]] and cfg.student.loss_params == {}
    cfg = load_config("digits", {"transfer": {"augmentation": "kde", "params": {"bandwidth": 0.5}}})
    assert (cfg.transfer.params, cfg.transfer.n_synthetic) == ({"bandwidth": 0.5}, 0)
    assert load_config("digits", {"transfer": {"augmentation": None}}).transfer.augmentation is None
    with pytest.raises(ConfigError, match=r"digits.yaml with overrides .*bogus"):  # the message names the override
        load_config("digits", {"transfer": {"params": {"bogus": 1.0}}})


def test_overrides_merge_into_nested_sections_and_replace_lists():
    preset = load_config("iris")
    cfg = load_config("iris", {"teacher": {"epochs": 5}, "student": {"grid": [{"hidden": [3]}]}})
    assert cfg.teacher.epochs == 5
    assert (cfg.teacher.hidden, cfg.teacher.patience) == (preset.teacher.hidden, preset.teacher.patience)
    assert [size.hidden for size in cfg.student.sizes()] == [[3]]  # a list is replaced, not appended to
    assert cfg.student.loss_params == preset.student.loss_params


def test_overrides_are_validated_too(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(_raw()))
    assert load_config(path, {"seed": 3}).seed == 3
    with pytest.raises(ConfigError, match="seed"):
        load_config(path, {"seed": "x"})
