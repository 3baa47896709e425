"""The compact student: the distillation step (function matching on hand-computed cases), early stopping, threads."""

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

import interpret_distill.students as students
from interpret_distill.artifacts import load_network, save_network
from interpret_distill.config import StudentConfig, parse_config
from interpret_distill.data import load_dataset
from interpret_distill.errors import ConfigError
from interpret_distill.models import Centre, count_parameters
from interpret_distill.students import (
    build_student,
    distill_student,
    distillation_step,
    labelled_transfer_step,
    method_name,
    teacher_labelled_rows,
    torch_threads,
    train_scratch_student,
)
from interpret_distill.training import accuracy_nll_score_fn, fidelity_score_fn


def linear(weight, bias=(0.0, 0.0)) -> nn.Linear:
    layer = nn.Linear(2, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))
        layer.bias.copy_(torch.tensor(bias))
    return layer


class Recorder(nn.Module):
    """Wraps a module and keeps every input it is called on."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner, self.inputs = inner, []

    def forward(self, x):
        self.inputs.append(x.detach().clone())
        return self.inner(x)


X = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
Y = torch.tensor([1, 1])
# The tiny teacher: logits (2 x0, 0). On X: [2, 0] and [0, 0]; on the mixed rows (0.5, 0.5): [1, 0].
TEACHER_W = [[2.0, 0.0], [0.0, 0.0]]


def half_mix(x, generator, alpha=1.0):
    """A deterministic stand-in for mixup_torch: each row mixed half-half with its mirror row."""
    half_mix.alphas.append(alpha)
    return 0.5 * (x + x.flip(0))


half_mix.alphas = []


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def kl_to_uniform(z):
    """KL(softmax([z, 0]) ‖ (1/2, 1/2)) by hand."""
    p = sigmoid(z)
    return p * math.log(2 * p) + (1 - p) * math.log(2 * (1 - p))


@pytest.fixture
def stub_mixup(monkeypatch):
    half_mix.alphas.clear()
    monkeypatch.setattr(students, "mixup_torch", half_mix)


def step(cfg: StudentConfig, student: nn.Module, teacher: nn.Module) -> float:
    loss = distillation_step(teacher, cfg)(student, X, Y, torch.Generator().manual_seed(0))
    assert loss.ndim == 0
    return loss.item()


def test_function_matching_queries_the_teacher_on_the_mixed_inputs(stub_mixup):
    teacher = Recorder(linear(TEACHER_W))
    student = linear([[0.0, 0.0], [0.0, 0.0]])  # uniform predictions
    fm = StudentConfig(loss="kd", loss_params={"temperature": 1.0, "alpha": 1.0}, function_matching=True,
                       mixup_alpha=0.3)
    # teacher on the mixed rows: softmax([1, 0]) on both; student uniform -> KL(p ‖ u) per row
    assert step(fm, student, teacher) == pytest.approx(kl_to_uniform(1.0), rel=1e-6)
    torch.testing.assert_close(teacher.inputs[-1], torch.full((2, 2), 0.5))
    assert half_mix.alphas == [0.3]
    # T = 2: T² KL(softmax([1/2, 0]) ‖ u)
    fm_t2 = fm.model_copy(update={"loss_params": {"temperature": 2.0, "alpha": 1.0}})
    assert step(fm_t2, student, teacher) == pytest.approx(4 * kl_to_uniform(0.5), rel=1e-6)
    # without function matching the teacher sees the batch itself: rows [2, 0] and [0, 0]
    plain = fm.model_copy(update={"function_matching": False})
    assert step(plain, student, teacher) == pytest.approx((kl_to_uniform(2.0) + 0.0) / 2, rel=1e-6)
    torch.testing.assert_close(teacher.inputs[-1], X)


def test_function_matching_label_term_uses_the_teachers_argmax_on_mixed_inputs(stub_mixup):
    teacher = linear(TEACHER_W)
    student = linear([[0.0, 0.0], [0.0, 0.0]], bias=(1.0, 0.0))  # logits [1, 0] everywhere
    cfg = StudentConfig(loss="kd", loss_params={"temperature": 1.0, "alpha": 0.5}, function_matching=True)
    # Mixed rows: teacher [1, 0] = student, so the KL term is 0; the label is the teacher's argmax (0),
    # not the ground truth y = 1: CE = log(1 + e^-1).
    assert step(cfg, student, teacher) == pytest.approx(0.5 * math.log(1 + math.exp(-1)), rel=1e-6)
    # Without function matching the label term uses y = 1: CE = log(1 + e); KL rows: KL(σ[2,0] ‖ σ[1,0]) and
    # KL(u ‖ σ[1,0]).
    plain = cfg.model_copy(update={"function_matching": False})
    p, q = sigmoid(2.0), sigmoid(1.0)
    kl_a = p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))
    kl_b = 0.5 * math.log(0.5 / q) + 0.5 * math.log(0.5 / (1 - q))
    expected = 0.5 * (kl_a + kl_b) / 2 + 0.5 * math.log(1 + math.e)
    assert step(plain, student, teacher) == pytest.approx(expected, rel=1e-6)


def test_function_matching_dkd_uses_teacher_argmax_as_target(stub_mixup):
    teacher = linear(TEACHER_W)
    student = linear([[0.0, 0.0], [0.0, 0.0]])
    cfg = StudentConfig(loss="dkd", loss_params={"temperature": 1.0, "alpha": 1.0, "beta": 8.0, "ce_weight": 0.0},
                        function_matching=True)
    # Two classes: the non-target distribution is a single class (NCKD = 0); TCKD = KL(σ[1,0] ‖ u).
    assert step(cfg, student, teacher) == pytest.approx(kl_to_uniform(1.0), rel=1e-6)


def test_real_mixup_step_feeds_teacher_and_student_the_same_mixed_batch():
    teacher, student = Recorder(linear(TEACHER_W)), Recorder(linear([[0.1, 0.2], [0.3, -0.1]]))
    xb = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    cfg = StudentConfig(loss_params={"temperature": 1.0, "alpha": 1.0}, function_matching=True)
    distillation_step(teacher, cfg)(student, xb, torch.zeros(4, dtype=torch.long), torch.Generator().manual_seed(3))
    mixed = teacher.inputs[-1]
    torch.testing.assert_close(student.inputs[-1], mixed)
    assert not torch.equal(mixed, xb)
    assert (mixed >= 0).all() and (mixed <= 1).all()  # convex combinations of the batch rows


def test_logits_labelled_once_give_the_loss_of_querying_the_teacher_on_the_batch():
    teacher, student = linear(TEACHER_W), linear([[0.1, 0.2], [0.3, -0.1]])
    xb, yb = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), torch.tensor([1, 0, 0, 1])
    cfg = StudentConfig(loss_params={"temperature": 2.0, "alpha": 0.5})  # a label term: the true labels, not argmax
    queried = distillation_step(teacher, cfg)(student, xb, yb, torch.Generator())
    with torch.no_grad():
        labelled = labelled_transfer_step(cfg)(student, xb, (teacher(xb), yb), torch.Generator())
    torch.testing.assert_close(labelled, queried)


def test_labelled_transfer_step_uses_the_given_teacher_logits_and_their_argmax():
    student = linear([[0.0, 0.0], [0.0, 0.0]], bias=(1.0, 0.0))  # logits [1, 0] everywhere
    teacher_logits = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    cfg = StudentConfig(loss="kd", loss_params={"temperature": 1.0, "alpha": 0.5})
    loss = labelled_transfer_step(cfg)(student, X, teacher_logits, torch.Generator())
    # KL rows: 0 (identical logits) and KL(σ[0,2] ‖ σ[1,0]); labels = teacher argmax (0, 1): CE log(1+e^-1), log(1+e)
    p, q = sigmoid(-2.0), sigmoid(1.0)
    kl = p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))
    ce = (math.log(1 + math.exp(-1)) + math.log(1 + math.e)) / 2
    assert loss.item() == pytest.approx(0.5 * kl / 2 + 0.5 * ce, rel=1e-6)


def test_fidelity_score_breaks_ties_by_kl_without_overturning_agreement():
    Xv = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)
    teacher_logits = np.array([[3.0, 0.0], [0.0, 3.0], [1.0, 0.0]])
    labels = teacher_logits.argmax(1)
    close = linear([[3.0, 0.0], [0.0, 3.0]])      # same labels, near-identical probabilities
    far = linear([[0.1, 0.0], [0.0, 0.1]], bias=(0.01, 0.0))  # same labels, almost uniform
    plain = fidelity_score_fn(Xv, labels)
    assert plain(close) == plain(far) == 1.0
    score = fidelity_score_fn(Xv, labels, teacher_logits)
    assert 1.0 - 0.5 / 3 < score(far) < score(close) <= 1.0
    wrong = linear([[0.0, 3.0], [3.0, 0.0]])        # disagrees on the first two rows
    assert score(wrong) < score(far) - 0.5 / 3


def test_accuracy_score_breaks_ties_by_nll():
    Xv = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    y = np.array([0, 1])
    sure, unsure = linear([[5.0, 0.0], [0.0, 5.0]]), linear([[0.1, 0.0], [0.0, 0.1]])
    score = accuracy_nll_score_fn(Xv, y)
    assert 1.0 - 0.25 < score(unsure) < score(sure) <= 1.0


def test_torch_threads_restores_the_setting():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError):
        with torch_threads(1):
            raise RuntimeError
    assert torch.get_num_threads() == before
    with torch_threads(0):
        assert torch.get_num_threads() == before


@pytest.fixture(scope="module")
def iris():
    cfg = parse_config({"name": "s", "data": {"name": "iris", "val_size": 0.2}})
    dataset = load_dataset(cfg.data, 0)
    torch.manual_seed(0)
    teacher = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)).eval()
    return dataset, teacher


@pytest.mark.parametrize("fm", [False, True])
def test_distill_student_keeps_its_best_validation_epoch(iris, fm):
    dataset, teacher = iris
    cfg = StudentConfig(hidden=[4], epochs=6, patience=6, batch_size=16, function_matching=fm,
                        loss_params={"temperature": 2.0, "alpha": 0.8})
    before = torch.get_num_threads()
    student, log = distill_student(dataset, teacher, cfg, seed=1, progress=False)
    assert torch.get_num_threads() == before and not student.training
    assert log.epochs_run == 6 and log.best_score == max(log.val_scores)
    teacher_val = students.predict_logits(teacher, dataset.X_val)
    assert log.best_score == pytest.approx(
        fidelity_score_fn(dataset.X_val, teacher_val.argmax(1), teacher_val)(student))
    again, _ = distill_student(dataset, teacher, cfg, seed=1, progress=False)
    for a, b in zip(student.parameters(), again.parameters()):
        torch.testing.assert_close(a, b)  # seeded: same student twice


def test_teacher_labelled_rows_are_the_training_rows_then_synthetic_ones(iris):
    dataset, teacher = iris
    recipe = StudentConfig(transfer_set={"augmentation": "mixup", "n_synthetic": 50}).transfer_set
    X_all, logits = teacher_labelled_rows(dataset, teacher, recipe, seed=0)
    m = len(dataset.X_train)
    assert X_all.shape == (m + 50, dataset.n_features) and X_all.dtype == np.float32
    np.testing.assert_array_equal(X_all[:m], dataset.X_train.astype(np.float32))
    # synthetic rows stay inside the training range (never drawn from validation or test rows)
    assert (X_all[m:] >= dataset.X_train.min(0) - 1e-6).all() and (X_all[m:] <= dataset.X_train.max(0) + 1e-6).all()
    np.testing.assert_allclose(logits, students.predict_logits(teacher, X_all), rtol=1e-5, atol=1e-6)
    again, _ = teacher_labelled_rows(dataset, teacher, recipe, seed=0)
    np.testing.assert_array_equal(X_all, again)


def test_transfer_set_student_matches_a_teacher_a_plain_student_cannot_learn_from_few_rows(iris):
    dataset, teacher = iris
    base = StudentConfig(hidden=[8], epochs=15, patience=15, batch_size=64, lr=0.01,
                         loss_params={"temperature": 1.0, "alpha": 1.0})
    transfer = base.model_copy(update={"transfer_set": StudentConfig(
        transfer_set={"augmentation": "kde", "n_synthetic": 3000, "params": {"bandwidth": 0.5}}).transfer_set})
    assert method_name(base) == "kd" and method_name(transfer) == "kd+transfer"
    teacher_test = students.predict_logits(teacher, dataset.X_test).argmax(1)
    fidelity = {}
    for name, cfg in (("plain", base), ("transfer", transfer)):
        student, log = distill_student(dataset, teacher, cfg, seed=0, progress=False)
        assert log.epochs_run == 15
        fidelity[name] = (students.predict_logits(student, dataset.X_test).argmax(1) == teacher_test).mean()
    # 15 epochs over ~80 rows are a few dozen steps; over 3,080 teacher-labelled rows, several hundred
    assert fidelity["transfer"] > fidelity["plain"]


def test_scratch_baseline_of_a_transfer_set_student_makes_as_many_steps(iris):
    dataset, _ = iris
    m = len(dataset.y_train)
    cfg = StudentConfig(hidden=[4], epochs=2, patience=2, batch_size=m,
                        transfer_set={"augmentation": "noise", "n_synthetic": 3 * m})
    # the distilled student: 4 batches per epoch; the scratch one: 1, so 4x the epochs
    assert students.matched_scratch_config(cfg, m).epochs == 8
    assert students.matched_scratch_config(cfg.model_copy(update={"transfer_set": None}), m).epochs == 2
    _, log = train_scratch_student(dataset, cfg.model_copy(update={"patience": 100}), seed=0, progress=False)
    assert log.epochs_run == 8


def test_scratch_and_distilled_students_start_identical(iris, monkeypatch):
    dataset, teacher = iris
    starts = {}
    train = students._train

    def recording_train(module, *args, desc, **kwargs):
        starts[desc] = {k: v.clone() for k, v in module.state_dict().items()}
        return train(module, *args, desc=desc, **kwargs)

    monkeypatch.setattr(students, "_train", recording_train)
    cfg = StudentConfig(hidden=[4], epochs=1, patience=1)
    distill_student(dataset, teacher, cfg, seed=5, progress=False)
    student, log = train_scratch_student(dataset, cfg, seed=5, progress=False)
    assert log.epochs_run == 1 and not student.training
    scratch, distilled = starts["student (scratch, hidden=[4])"], starts["student (kd, hidden=[4])"]
    assert scratch.keys() == distilled.keys()
    for name in scratch:
        torch.testing.assert_close(scratch[name], distilled[name], rtol=0, atol=0)


def test_student_config_checks_the_loss_before_training():
    base = {"name": "x", "data": {"name": "iris"}}
    with pytest.raises(ConfigError, match="unknown loss 'hinton'"):
        parse_config({**base, "student": {"loss": "hinton"}})
    with pytest.raises(ConfigError, match="no parameter"):
        parse_config({**base, "student": {"loss": "kd", "loss_params": {"beta": 8.0}}})
    cfg = parse_config({**base, "student": {"loss": "dkd", "loss_params": {"beta": 4.0}, "function_matching": True}})
    assert cfg.student.num_threads == 1 and cfg.student.mixup_alpha == 1.0
    with pytest.raises(ConfigError, match="keep one of them"):
        parse_config({**base, "student": {"function_matching": True,
                                          "transfer_set": {"augmentation": "mixup", "n_synthetic": 10}}})
    with pytest.raises(ConfigError, match="unknown augmentation"):
        parse_config({**base, "student": {"transfer_set": {"augmentation": "cutmix", "n_synthetic": 10}}})


def test_centred_student_subtracts_the_training_mean_and_survives_a_save(iris, tmp_path):
    dataset, _ = iris
    centred = build_student(dataset, StudentConfig(hidden=[4]), seed=0)
    plain = build_student(dataset, StudentConfig(hidden=[4], centre_inputs=False), seed=0)
    assert isinstance(centred[0], Centre)
    np.testing.assert_allclose(centred[0].offset.numpy(), dataset.X_train.mean(axis=0), rtol=1e-6)
    assert count_parameters(centred) == count_parameters(plain)  # the offset is a buffer, not a parameter
    # same initial weights: the centred net on x equals the plain net on x - mean
    x = torch.as_tensor(dataset.X_val[:5])
    with torch.no_grad():
        torch.testing.assert_close(centred(x), plain(x - centred[0].offset))
    restored = load_network(tmp_path, save_network(centred, tmp_path, "student", dataset.X_val))
    with torch.no_grad():
        torch.testing.assert_close(restored(x), centred(x))


def test_student_sizes_replace_the_width_of_the_architecture():
    cnn = StudentConfig(arch="cnn", channels=[4, 8], grid=[{"channels": [2]}, {"channels": [2, 4]}])
    assert [(c.channels, c.hidden) for c in cnn.sizes()] == [([2], [16]), ([2, 4], [16])]
    assert StudentConfig(hidden=[8]).sizes() == [StudentConfig(hidden=[8])]


def test_sweep_students_scores_each_width_distilled_and_from_scratch(iris):
    from interpret_distill.metrics import accuracy, fidelity
    from interpret_distill.models import predict_proba
    from interpret_distill.students import sweep_students

    dataset, teacher = iris
    probs = {s: predict_proba(teacher, dataset.split(s)[0]) for s in ("val", "test")}
    cfg = StudentConfig(grid=[{"hidden": [2]}, {"hidden": [5]}], epochs=3, patience=3, function_matching=True)
    trained = sweep_students(dataset, teacher, cfg, probs, seed=1, progress=False)
    rows = [t.row for t in trained]
    assert [(r["regime"], r["params"], r["transfer"]) for r in rows] == [
        ("kd+fm", "hidden=[2]", "mixup each step (alpha=1)"), ("scratch", "hidden=[2]", "train"),
        ("kd+fm", "hidden=[5]", "mixup each step (alpha=1)"), ("scratch", "hidden=[5]", "train")]
    # 4 -> 2 -> 3 and 4 -> 5 -> 3
    assert [r["complexity_score"] for r in rows] == [19.0, 19.0, 43.0, 43.0]
    for t in trained:
        assert t.module[-3].out_features == json.loads(t.row["params_json"])["hidden"][0]
        for split in ("val", "test"):
            X, y = dataset.split(split)
            student_probs = predict_proba(t.module, X)
            assert t.row[f"{split}_fidelity"] == fidelity(student_probs, probs[split])
            assert t.row[f"{split}_accuracy"] == accuracy(student_probs, y)
    # each width trained anew: the narrow distilled student is the one distill_student gives for that width
    alone, _ = distill_student(dataset, teacher, cfg.sizes()[0], seed=1, progress=False)
    for a, b in zip(alone.state_dict().values(), trained[0].module.state_dict().values()):
        assert torch.equal(a, b)


def test_the_teacher_is_queried_without_dropout_and_keeps_its_mode(iris):
    dataset, _ = iris
    torch.manual_seed(0)
    teacher = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.Linear(16, 3)).train()
    step = distillation_step(teacher, StudentConfig(loss_params={"alpha": 1.0}))
    student, xb = nn.Linear(4, 3), torch.as_tensor(dataset.X_train[:32])
    losses = [step(student, xb, torch.zeros(32, dtype=torch.long), torch.Generator()).item() for _ in range(3)]
    assert losses[0] == losses[1] == losses[2], "dropout noise in the teacher's logits"
    assert teacher.training
    distill_student(dataset, teacher, StudentConfig(hidden=[4], epochs=1, patience=1), progress=False)
    assert teacher.training, "distill_student must hand the teacher back in the caller's mode"


def test_a_width_sweep_labels_the_transfer_set_once_and_trains_as_distill_student_would(iris, monkeypatch):
    from interpret_distill.models import predict_proba
    from interpret_distill.students import sweep_students

    dataset, teacher = iris
    probs = {s: predict_proba(teacher, dataset.split(s)[0]) for s in ("val", "test")}
    cfg = StudentConfig(grid=[{"hidden": [2]}, {"hidden": [3]}], epochs=2, patience=2,
                        transfer_set={"augmentation": "noise", "n_synthetic": 50, "params": {"scale": 0.1}})
    calls = []
    label = students.teacher_labelled_rows
    monkeypatch.setattr(students, "teacher_labelled_rows", lambda *a, **k: calls.append(1) or label(*a, **k))
    trained = sweep_students(dataset, teacher, cfg, probs, seed=2, progress=False)
    assert len(calls) == 1 and trained[0].row["transfer"] == "noise(n=50, scale=0.1)"
    alone, _ = distill_student(dataset, teacher, cfg.sizes()[1], seed=2, progress=False)
    for a, b in zip(alone.state_dict().values(), trained[2].module.state_dict().values()):
        assert torch.equal(a, b)


# ------------------------------------------------------------------ the student stage of a run: fit_students

def _fake_student_sweep(scores):
    """A stand-in for sweep_students: per width (hidden, val_fidelity, test_fidelity), a distilled and a scratch row."""
    from interpret_distill.students import TrainedStudent
    from interpret_distill.sweep import COLUMNS
    from interpret_distill.training import TrainLog

    def fake(dataset, teacher, cfg, teacher_probs, seed, progress, **options):  # device, engine, ...
        trained = []
        for width, val, test in scores:
            for regime in ("kd", "scratch"):
                row = dict.fromkeys(COLUMNS, 0.0) | {
                    "kind": "student", "regime": regime, "transfer": "train", "params": f"hidden=[{width}]",
                    "params_json": json.dumps({"arch": "mlp", "hidden": [width]}),
                    "complexity_score": 10.0 * width + 3, "val_fidelity": val, "test_fidelity": test}
                trained.append(TrainedStudent(nn.Linear(4, width), TrainLog(), row))
        return trained

    return fake


def test_student_width_is_chosen_on_validation_with_its_scratch_twin(tiny_parts, monkeypatch):
    cfg, dataset, teacher, teacher_val, teacher_test = tiny_parts
    probs = {"val": teacher_val, "test": teacher_test}
    # width 4 leads on validation, width 2 on test; width 8 ties width 4 on validation but is larger
    monkeypatch.setattr(students, "sweep_students", _fake_student_sweep([(2, 0.80, 1.0), (4, 0.95, 0.5),
                                                                         (8, 0.95, 0.9)]))
    models, sweep, logs = students.fit_students(cfg, dataset, teacher, probs)
    assert [(m.name, m.role, m.params["hidden"], m.model.out_features) for m in models] == [
        ("student", "distilled", [4], 4), ("student_scratch", "baseline", [4], 4)]
    assert logs["distilled"]["size"] == logs["scratch"]["size"] == "hidden=[4]"
    assert len(sweep) == 6 and set(sweep.kind) == {"student"}

    budgeted = cfg.model_copy(update={"student": cfg.student.model_copy(update={"budget": 30.0})})
    models, _, _ = students.fit_students(budgeted, dataset, teacher, probs)
    assert [m.params["hidden"] for m in models] == [[2], [2]]


def test_student_budget_below_every_width_fails_before_training(tiny_parts, monkeypatch, tmp_path):
    from interpret_distill import experiment

    cfg, dataset, teacher, teacher_val, teacher_test = tiny_parts

    def must_not_train(*args, **kwargs):
        raise AssertionError("students were trained although no width fits the budget")

    monkeypatch.setattr(students, "sweep_students", must_not_train)
    # the narrowest tiny student, 4 -> 2 -> 3: (4 x 2 + 2) + (2 x 3 + 3) = 19 parameters
    tight = cfg.model_copy(update={"student": cfg.student.model_copy(update={"budget": 18.0})})
    with pytest.raises(ConfigError, match=r"no student width fits student.budget 18 parameters \(smallest: 19\)"):
        students.fit_students(tight, dataset, teacher, {"val": teacher_val, "test": teacher_test})
    # through the pipeline: the data is read, the teacher is never trained
    monkeypatch.setattr(experiment, "resolve_teacher", must_not_train)
    with pytest.raises(ConfigError, match="no student width fits student.budget 18"):
        experiment.run_experiment(tight, tmp_path, report=False)
    assert not (tmp_path / tight.name).exists()
