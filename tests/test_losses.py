"""Distillation losses against hand-computed numpy values."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from interpret_distill.losses import (
    LOSSES,
    dkd_loss,
    get_loss,
    kd_loss,
    mse_logits_loss,
    soft_cross_entropy,
)

STUDENT = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
TEACHER = np.array([[2.0, 0.5, -1.0], [1.0, 0.0, 2.0]])
LABELS = np.array([0, 2])


def t(a):
    return torch.tensor(a, dtype=torch.float64)


def np_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def np_kl(p, q):
    """Batch-mean KL(p ‖ q) between probability rows."""
    return float(np.mean(np.sum(p * (np.log(p) - np.log(q)), axis=1)))


def np_ce(z, y):
    return float(np.mean(-np.log(np_softmax(z)[np.arange(len(y)), y])))


def test_kd_matches_hand_computed_kl_on_log_probabilities():
    T, alpha = 2.0, 0.6
    p_t, p_s = np_softmax(TEACHER / T), np_softmax(STUDENT / T)
    expected = alpha * T**2 * np_kl(p_t, p_s) + (1 - alpha) * np_ce(STUDENT, LABELS)
    got = kd_loss(t(STUDENT), t(TEACHER), torch.tensor(LABELS), temperature=T, alpha=alpha).item()
    assert got == pytest.approx(expected, rel=1e-10)
    # A case solvable by hand, independent of the numpy helpers: teacher logits (2 ln 3, 0) at T=2 give
    # p_t = (3/4, 1/4), a zero student gives p_s = (1/2, 1/2), so KL(p_t ‖ p_s) = 3/4 ln 3 - ln 2, and the
    # cross-entropy of label 0 is ln 2.
    teacher, student = t([[2 * np.log(3.0), 0.0]]), t([[0.0, 0.0]])
    hand = alpha * T**2 * (0.75 * np.log(3.0) - np.log(2.0)) + (1 - alpha) * np.log(2.0)
    got = kd_loss(student, teacher, torch.tensor([0]), temperature=T, alpha=alpha).item()
    assert got == pytest.approx(hand, rel=1e-10)


def test_kd_is_not_the_probability_input_misuse():
    # F.kl_div(probs, ...) is a classic bug: it silently returns a different number.
    wrong = F.kl_div(F.softmax(t(STUDENT), 1), F.softmax(t(TEACHER), 1), reduction="batchmean").item()
    right = kd_loss(t(STUDENT), t(TEACHER), None, temperature=1.0, alpha=1.0).item()
    assert right == pytest.approx(np_kl(np_softmax(TEACHER), np_softmax(STUDENT)), rel=1e-10)
    assert abs(wrong - right) > 0.1


@pytest.mark.parametrize("T", [1.0, 3.0, 10.0])
def test_kd_scales_kl_by_temperature_squared(T):
    kl = np_kl(np_softmax(TEACHER / T), np_softmax(STUDENT / T))
    got = kd_loss(t(STUDENT), t(TEACHER), None, temperature=T, alpha=1.0).item()
    assert got == pytest.approx(T**2 * kl, rel=1e-10)


def test_kd_high_temperature_limit_is_logit_matching():
    # Hinton et al.: T² KL -> sum((dz - mean dz)²) / (2k) as T -> inf, so T² keeps the loss O(1).
    dz = STUDENT - TEACHER
    dz = dz - dz.mean(axis=1, keepdims=True)
    limit = np.mean(np.sum(dz**2, axis=1)) / (2 * STUDENT.shape[1])
    got = kd_loss(t(STUDENT), t(TEACHER), None, temperature=1000.0, alpha=1.0).item()
    assert got == pytest.approx(limit, rel=1e-3)


def test_kd_identical_logits_pure_distillation_is_zero():
    z = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    assert kd_loss(z, z.clone(), None, temperature=3.0, alpha=1.0).item() == pytest.approx(0.0, abs=1e-7)


def test_kd_needs_labels_when_alpha_below_one():
    with pytest.raises(ValueError, match="labels"):
        kd_loss(t(STUDENT), t(TEACHER), None, alpha=0.5)
    with pytest.raises(ValueError, match="alpha"):
        kd_loss(t(STUDENT), t(TEACHER), None, alpha=1.5)
    with pytest.raises(ValueError, match="temperature"):
        kd_loss(t(STUDENT), t(TEACHER), None, temperature=0.0, alpha=1.0)


def test_kd_alpha_zero_is_cross_entropy():
    got = kd_loss(t(STUDENT), t(TEACHER), torch.tensor(LABELS), alpha=0.0).item()
    assert got == pytest.approx(np_ce(STUDENT, LABELS), rel=1e-10)


def np_dkd_parts(s, te, y, T):
    """Per-sample TCKD and NCKD written out from the paper's definitions."""
    tckd, nckd = [], []
    for zs, zt, c in zip(s, te, y):
        ps, pt = np_softmax(zs[None] / T)[0], np_softmax(zt[None] / T)[0]
        bs, bt = np.array([ps[c], 1 - ps[c]]), np.array([pt[c], 1 - pt[c]])
        tckd.append(np.sum(bt * np.log(bt / bs)))
        rest = np.arange(len(zs)) != c
        qs, qt = np_softmax(zs[rest][None] / T)[0], np_softmax(zt[rest][None] / T)[0]
        nckd.append(np.sum(qt * np.log(qt / qs)))
    return np.array(tckd), np.array(nckd)


def test_dkd_matches_hand_computed_value():
    T, alpha, beta, w = 2.0, 1.0, 8.0, 0.5
    tckd, nckd = np_dkd_parts(STUDENT, TEACHER, LABELS, T)
    expected = T**2 * (alpha * tckd.mean() + beta * nckd.mean()) + w * np_ce(STUDENT, LABELS)
    got = dkd_loss(
        t(STUDENT), t(TEACHER), torch.tensor(LABELS), temperature=T, alpha=alpha, beta=beta, ce_weight=w
    ).item()
    assert got == pytest.approx(expected, rel=1e-10)


def test_dkd_tiny_case_by_hand():
    # k = 3, target 0, T = 1. Teacher logits [0, 0, 0]: p_t = (1/3, 1/3, 1/3), rest = (1/2, 1/2).
    # Student logits [0, ln 2, 0]: p_s = (1/4, 1/2, 1/4), rest = (2/3, 1/3).
    b_t, b_s = np.array([1 / 3, 2 / 3]), np.array([1 / 4, 3 / 4])
    q_t, q_s = np.array([1 / 2, 1 / 2]), np.array([2 / 3, 1 / 3])
    tckd = np.sum(b_t * np.log(b_t / b_s))
    nckd = np.sum(q_t * np.log(q_t / q_s))
    got = dkd_loss(
        t([[0.0, np.log(2.0), 0.0]]), t([[0.0, 0.0, 0.0]]), torch.tensor([0]),
        temperature=1.0, alpha=1.0, beta=8.0, ce_weight=0.0,
    ).item()
    assert got == pytest.approx(tckd + 8.0 * nckd, rel=1e-10)


def test_dkd_recovers_kd_with_paper_weights():
    # Zhao et al. Eq. 7: KD = TCKD + (1 - p_target^teacher) NCKD (one sample, so no batch weighting).
    s, te, y, T = t(STUDENT[:1]), t(TEACHER[:1]), torch.tensor(LABELS[:1]), 3.0
    beta = 1 - F.softmax(te / T, dim=1)[0, 0].item()
    dkd = dkd_loss(s, te, y, temperature=T, alpha=1.0, beta=beta, ce_weight=0.0).item()
    assert dkd == pytest.approx(kd_loss(s, te, None, temperature=T, alpha=1.0).item(), rel=1e-10)


def test_dkd_extreme_logits_have_finite_gradients():
    s = torch.tensor([[80.0, -60.0, 5.0], [-1e4, 1e4, 0.0]], requires_grad=True)
    te = torch.tensor([[100.0, -100.0, 0.0], [0.0, 50.0, -50.0]])
    loss = dkd_loss(s, te, torch.tensor([0, 1]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(s.grad).all()


def test_dkd_requires_labels():
    with pytest.raises(ValueError, match="labels"):
        dkd_loss(t(STUDENT), t(TEACHER), None)


def test_mse_logits_loss():
    expected = 0.7 * np.mean((STUDENT - TEACHER) ** 2) + 0.3 * np_ce(STUDENT, LABELS)
    got = mse_logits_loss(t(STUDENT), t(TEACHER), torch.tensor(LABELS), alpha=0.7).item()
    assert got == pytest.approx(expected, rel=1e-10)
    assert mse_logits_loss(t(STUDENT), t(TEACHER), None).item() == pytest.approx(np.mean((STUDENT - TEACHER) ** 2))


def test_soft_cross_entropy_equals_kl_plus_teacher_entropy():
    p = np_softmax(TEACHER)
    entropy = float(np.mean(-np.sum(p * np.log(p), axis=1)))
    got = soft_cross_entropy(t(STUDENT), t(p)).item()
    assert got == pytest.approx(np_kl(p, np_softmax(STUDENT)) + entropy, rel=1e-10)


def test_registry_and_get_loss():
    assert set(LOSSES) == {"kd", "dkd", "mse", "hint"}
    assert get_loss("kd") is kd_loss
    bound = get_loss("kd", temperature=2.0, alpha=1.0)
    assert bound(t(STUDENT), t(TEACHER), None).item() == pytest.approx(
        kd_loss(t(STUDENT), t(TEACHER), None, temperature=2.0, alpha=1.0).item()
    )
    with pytest.raises(ValueError, match="allowed: dkd, hint, kd, mse"):
        get_loss("hinton")
    with pytest.raises(ValueError, match="tempreature"):
        get_loss("kd", tempreature=2.0)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_is_differentiable_scalar(name):
    s = torch.randn(4, 3, generator=torch.Generator().manual_seed(1), requires_grad=True)
    te = torch.randn(4, 3, generator=torch.Generator().manual_seed(2))
    loss = get_loss(name)(s, te, torch.tensor([0, 1, 2, 0]))
    loss.backward()
    assert loss.ndim == 0 and torch.isfinite(s.grad).all()
