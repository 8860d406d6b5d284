"""lsr/trust.py: the fusion of appearance with the coarse prior and the data-driven appearance weight."""

import numpy as np

from algorithms.lsr.trust import CANDIDATE_WEIGHTS, ELBOW, LabelShares, bayes_prior, choose_weight, fuse


def test_fusion_by_hand():
    p_app = np.array([0.7, 0.3]).reshape(2, 1, 1)
    prior = np.array([0.2, 0.8]).reshape(2, 1, 1)
    reached = np.ones((1, 1), bool)
    # w = 1, v = 1: p ∝ (0.14, 0.24)
    np.testing.assert_allclose(fuse(p_app, reached, prior, 1.0).ravel(), np.array([0.14, 0.24]) / 0.38, atol=1e-6)
    # w = 2, v = 0.5: p ∝ (0.49 * 0.2^0.5, 0.09 * 0.8^0.5)
    want = np.array([0.49 * 0.2 ** 0.5, 0.09 * 0.8 ** 0.5])
    np.testing.assert_allclose(fuse(p_app, reached, prior, 2.0, 0.5).ravel(), want / want.sum(), atol=1e-6)
    # w = 0: the prior; w = inf: appearance alone
    np.testing.assert_allclose(fuse(p_app, reached, prior, 0.0).ravel(), [0.2, 0.8], atol=1e-6)
    np.testing.assert_allclose(fuse(p_app, reached, prior, float("inf")).ravel(), [0.7, 0.3], atol=1e-5)


def test_no_evidence_means_the_prior_whatever_the_weight():
    p_app = np.zeros((3, 2, 2))  # appearance had no evidence anywhere
    prior = np.array([0.1, 0.6, 0.3])[:, None, None] * np.ones((3, 2, 2))
    reached = np.zeros((2, 2), bool)
    for w in (0.0, 1.0, 5.0, float("inf")):
        out = fuse(p_app, reached, prior, w)
        np.testing.assert_allclose(out.sum(0), 1, atol=1e-6)
        np.testing.assert_allclose(out[:, 0, 0], [0.1, 0.6, 0.3], atol=1e-5)


def test_bayes_prior_divides_by_the_area_prior():
    naive = np.array([0.2, 0.8]).reshape(2, 1, 1)
    np.testing.assert_allclose(bayes_prior(naive, np.array([0.5, 0.5])).ravel(), [0.4, 1.6])


def test_label_shares_count_the_fused_hard_map_per_class():
    # 4 pixels of class 0 (table 50/50) and 2 of class 1 (table 100% label 1); the prior says label 1 everywhere,
    # appearance says label 0 on two pixels of class 0 and one of class 1
    table = np.array([[0.5, 0.5], [0.0, 1.0]])
    prior = np.tile(np.array([0.4, 0.6])[:, None, None], (1, 1, 6))
    p_app = np.tile(np.array([0.1, 0.9])[:, None, None], (1, 1, 6))
    p_app[:, 0, [0, 1, 4]] = np.array([0.9, 0.1])[:, None]
    cls = np.array([[0, 0, 0, 0, 1, 1]])
    shares = LabelShares(2, 2, weights=(0.0, 1.0))
    shares.add(p_app, np.ones((1, 6), bool), prior, cls, np.ones((1, 6), bool), step=1)
    # w = 0: all label 1 -> class 0 shares (0, 1); w = 1: (0.36 vs 0.54 -> label 0 on pixels 0, 1, 4)
    assert shares.counts[0].tolist() == [[0, 4], [0, 2]]
    assert shares.counts[1].tolist() == [[2, 2], [1, 1]]
    tv = shares.mismatch(table)
    # TV(0) = 4/6 * 0.5 + 2/6 * 0 ; TV(1) = 4/6 * 0 + 2/6 * 0.5
    np.testing.assert_allclose(tv, [4 / 6 * 0.5, 2 / 6 * 0.5])


def test_elbow_takes_the_least_weight_that_removes_two_thirds_of_the_mismatch():
    w = (0, 0.1, 0.5, 1, 5)
    assert choose_weight([0.30, 0.20, 0.12, 0.11, 0.10], w) == 0.5  # 0.30 - 2/3 * 0.20 = 0.1667
    assert choose_weight([0.30, 0.30, 0.30, 0.30, 0.30], w) == 0  # appearance cannot help: the label-only map
    assert choose_weight([0.10, 0.12, 0.15, 0.20, 0.30], w) == 0  # appearance only hurts
    assert choose_weight([0.30, 0.29, 0.28, 0.20, 0.00], w) == 5
    assert CANDIDATE_WEIGHTS[0] == 0 and list(CANDIDATE_WEIGHTS) == sorted(CANDIDATE_WEIGHTS)


def test_an_overshooting_appearance_gets_the_cautious_elbow():
    """The mismatch falls, then grows past twice its minimum: only a third of the reduction is asked for."""
    w = (0, 0.1, 0.2, 0.5, 5)
    tv = [0.055, 0.031, 0.014, 0.066, 0.168]  # DeepGlobe-like: U-shaped, 0.168 > 2 * 0.014
    # cautious: 0.055 - 1/3 * 0.041 = 0.0413 -> w = 0.1 (the 2/3 elbow would take 0.2: 0.0277 > 0.031)
    assert choose_weight(tv, w) == 0.1
    assert choose_weight(tv, w, elbow=ELBOW) == 0.1  # the guard applies whatever elbow is asked
    flat_end = [0.055, 0.031, 0.014, 0.020, 0.027]  # rises, but less than twice the minimum: the usual elbow
    assert choose_weight(flat_end, w) == 0.2


def test_empty_shares_choose_nothing():
    shares = LabelShares(2, 2)
    assert shares.choose(np.eye(2)) == 0.0
