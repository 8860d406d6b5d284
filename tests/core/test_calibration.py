"""lsr/calibration.py: choosing the fusion from reference samples and estimating the accuracy of the choice."""

import numpy as np

from algorithms.lsr.calibration import accuracy_estimate, better_than, calibrate, choose, folds_of, wilson_interval


def test_wilson_interval_matches_the_textbook_values():
    lo, hi = wilson_interval(80, 100)
    assert abs(lo - 0.7112) < 1e-3 and abs(hi - 0.8666) < 1e-3
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and abs(hi - 0.2775) < 1e-3
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_clustered_samples_give_a_wider_interval_than_independent_ones():
    rng = np.random.default_rng(0)
    # 20 polygons of 50 pixels: each polygon all right or all wrong (70% right)
    per_polygon = rng.random(20) < 0.7
    correct = np.repeat(per_polygon, 50)
    groups = np.repeat(np.arange(20), 50)
    clustered = accuracy_estimate(correct, groups)
    independent = accuracy_estimate(correct)
    assert clustered.value == independent.value
    assert clustered.high - clustered.low > 3 * (independent.high - independent.low)
    assert clustered.groups == 20 and independent.groups == 1000


def test_a_setting_replaces_the_default_only_on_clear_evidence():
    n = 100
    default = np.zeros(n, bool)
    default[:70] = True
    slightly = default.copy()
    slightly[70:73] = True  # 3 wins, 0 losses: 3 > sqrt(3) = 1.73 -> clear at 1 standard error
    noisy = default.copy()
    noisy[70:75] = True
    noisy[:3] = False  # 5 wins, 3 losses: 2 < sqrt(8) = 2.83 -> not clear
    assert better_than(slightly, default) and not better_than(noisy, default)
    assert choose(np.stack([default, noisy]), default=0) == 0
    assert choose(np.stack([default, slightly]), default=0) == 1


def test_folds_keep_groups_together():
    groups = np.repeat(np.arange(12), 5)
    folds = folds_of(groups, k=4, seed=1)
    for g in range(12):
        assert len(set(folds[groups == g].tolist())) == 1
    assert sorted(set(folds.tolist())) == [0, 1, 2, 3]


def test_cross_validated_estimate_is_the_naive_loop():
    """calibrate() against a plain loop over folds written here."""
    rng = np.random.default_rng(5)
    n = 100
    truth_acc = np.array([0.80, 0.84, 0.70])
    correct = rng.random((3, n)) < truth_acc[:, None]
    groups = np.arange(n)
    cal = calibrate(correct, groups, default=0, k=10, seed=2)
    folds = folds_of(groups, 10, 2)
    hits = 0
    for f in range(10):
        train, test = folds != f, folds == f
        counts = correct[:, train].sum(1)
        best = int(np.argmax(counts))
        a, b = correct[best, train], correct[0, train]
        wins, losses = int((a & ~b).sum()), int((~a & b).sum())
        pick = best if best != 0 and wins - losses > np.sqrt(wins + losses) and wins > losses else 0
        hits += int(correct[pick, test].sum())
    assert abs(cal.estimate.value - hits / n) < 1e-12
    assert cal.estimate.low < cal.estimate.value < cal.estimate.high
    assert cal.candidate_accuracy == [float(v) for v in correct.mean(1)]
