"""lsr/trust.py: the fusion of appearance with the coarse prior, its influence, the confidence temperature and the
per-class evidence of what appearance changed."""

import numpy as np

from algorithms.lsr.trust import LOCALLY_WRONG, LabelEvidence, bayes_prior, fuse, fused_labels, influence, sharpen


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


def test_fused_labels_are_the_argmax_of_the_fusion():
    rng = np.random.default_rng(0)
    p_app = rng.dirichlet(np.ones(4), (5, 6)).transpose(2, 0, 1)
    prior = rng.dirichlet(np.ones(4), (5, 6)).transpose(2, 0, 1)
    reached = rng.random((5, 6)) < 0.7
    for w in (0.0, 0.3, 3.0, float("inf")):
        np.testing.assert_array_equal(fused_labels(p_app, reached, prior, w), fuse(p_app, reached, prior, w).argmax(0))


def test_influence_is_the_total_variation_from_the_prior():
    prior = np.array([0.2, 0.8]).reshape(2, 1)
    assert influence(prior, prior)[0] == 0
    assert abs(influence(np.array([0.9, 0.1]).reshape(2, 1), prior)[0] - 0.7) < 1e-6
    assert abs(influence(np.array([1.0, 0.0]).reshape(2, 1), np.array([0.0, 1.0]).reshape(2, 1))[0] - 1) < 1e-6


def test_temperature_softens_and_sharpens_by_hand():
    p = np.array([0.8, 0.2]).reshape(2, 1)
    np.testing.assert_allclose(sharpen(p, 1.0), p)
    soft = np.array([0.8 ** 0.5, 0.2 ** 0.5])  # T = 2
    np.testing.assert_allclose(sharpen(p, 2.0).ravel(), soft / soft.sum(), atol=1e-6)
    sharp = np.array([0.64, 0.04])  # T = 0.5
    np.testing.assert_allclose(sharpen(p, 0.5).ravel(), sharp / sharp.sum(), atol=1e-6)
    assert sharpen(p, 2.0).argmax(0)[0] == 0  # the labels never change


def test_evidence_counts_changes_and_names_the_class_whose_table_looks_wrong():
    # class 0 (table: 42% forest, 46% field) is all forest in the map; class 1 follows its row
    table = np.array([[0.12, 0.42, 0.46], [0.0, 0.1, 0.9]])
    ev = LabelEvidence(2, 3)
    cls = np.array([[0, 0, 0, 0, 1, 1, 1, 1, 1, 1]])
    labels = np.array([[1, 1, 1, 1, 2, 2, 2, 2, 2, 2]])
    baseline = np.array([[2, 2, 1, 1, 2, 2, 2, 2, 2, 2]])  # appearance changed two pixels of class 0
    ev.add(cls, labels, baseline, np.ones_like(cls, bool))
    assert ev.counts.tolist() == [[0, 4, 0], [0, 0, 6]] and ev.changed.tolist() == [2, 0]
    assert abs(ev.changed_share - 0.2) < 1e-12
    tv = ev.departures(table)
    assert abs(tv[0] - 0.58) < 1e-9 and abs(tv[1] - 0.1) < 1e-9 and tv[0] > LOCALLY_WRONG > tv[1]
    lines = ev.report([21, 41], ["water", "forest", "field"], table)
    assert lines[0].startswith("Appearance changed 20.0%")
    assert len(lines) == 2 and "class 21" in lines[1] and "forest 100% where the table says 42%" in lines[1]
    assert ev.as_dict([21, 41], ["water", "forest", "field"], table)["21"]["label_shares"]["forest"] == 1.0
