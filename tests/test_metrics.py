"Every metric against an independent brute-force reference."
import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score

from zscmr.metrics import (average_precisions, mean_average_precision, normalize_embeddings, paired_ranks,
                           pr_curve, precision_at_k, recall_at_k, relevant_ranks)


def brute_ap(sim, rel, k=None):
    "Pessimistic ties: among equal scores, irrelevant items come first. AP@k as in DADN/DSCMR code."
    aps = []
    for s, r in zip(sim, rel):
        order = np.lexsort((r.astype(int), -s))          # by score desc, then irrelevant (0) before relevant (1)
        hits, acc, kk = 0, 0.0, len(s) if k is None else k
        for j, g in enumerate(order[:kk], 1):
            if r[g]: hits += 1; acc += hits / j
        aps.append(acc / (r.sum() if k is None else hits) if hits else 0.0)
    return np.array(aps)


def cos(zq, zg, how='zscore'):
    return (normalize_embeddings(torch.as_tensor(zq), how) @ normalize_embeddings(torch.as_tensor(zg), how).T).numpy()


@pytest.mark.parametrize('seed', range(5))
def test_map_matches_sklearn_per_query(seed):
    rng = np.random.default_rng(seed)
    zq, zg = rng.normal(size=(60, 8)).astype(np.float32), rng.normal(size=(90, 8)).astype(np.float32)
    yq, yg = rng.integers(0, 4, 60), rng.integers(0, 4, 90)
    sim = cos(zq, zg)
    ref = [average_precision_score(yg == y, s) for s, y in zip(sim, yq)]
    ours = average_precisions(zq, zg, yq, yg).numpy()
    np.testing.assert_allclose(ours, ref, atol=1e-6)


@pytest.mark.parametrize('how', ['zscore', 'l2', None])
def test_normalisation_choices_match_brute_force(how):
    rng = np.random.default_rng(1)
    zq, zg = rng.normal(size=(30, 5)), rng.normal(size=(40, 5)) + 3
    yq, yg = rng.integers(0, 3, 30), rng.integers(0, 3, 40)
    rel = yq[:, None] == yg[None]
    np.testing.assert_allclose(average_precisions(zq, zg, yq, yg, normalize=how).numpy(), brute_ap(cos(zq, zg, how), rel), atol=1e-6)


def test_ties_are_pessimistic_and_order_invariant():
    rng = np.random.default_rng(2)
    zq = rng.integers(0, 3, size=(40, 3)).astype(np.float32)     # many exact ties
    zg = rng.integers(0, 3, size=(50, 3)).astype(np.float32)
    yq, yg = rng.integers(0, 3, 40), rng.integers(0, 3, 50)
    ours = average_precisions(zq, zg, yq, yg, normalize=None).numpy()
    np.testing.assert_allclose(ours, brute_ap(zq @ zg.T, yq[:, None] == yg[None]), atol=1e-6)
    perm = rng.permutation(50)
    np.testing.assert_allclose(average_precisions(zq, zg[perm], yq, yg[perm], normalize=None).numpy(), ours, atol=1e-6)


def test_all_equal_scores_give_worst_ap():
    ap = average_precisions(np.ones((1, 2)), np.ones((4, 2)), [0], [1, 1, 0, 1], normalize=None)
    assert float(ap[0]) == pytest.approx(1 / 4)


def test_query_without_relevant_items_scores_zero():
    ap = average_precisions(np.eye(2), np.eye(2), [0, 5], [0, 1], normalize='l2')
    assert ap.tolist() == [1.0, 0.0]


def test_one_item_gallery():
    assert average_precisions(np.ones((3, 2)), np.ones((1, 2)), [0, 1, 0], [0], normalize=None).tolist() == [1.0, 0.0, 1.0]


def test_multilabel_relevance_is_any_shared_label():
    rng = np.random.default_rng(3)
    zq, zg = rng.normal(size=(25, 6)), rng.normal(size=(35, 6))
    yq, yg = rng.random((25, 5)) < 0.3, rng.random((35, 5)) < 0.3
    rel = (yq.astype(int) @ yg.T.astype(int)) > 0
    sim = cos(zq, zg)
    ref = [average_precision_score(r, s) if r.any() else 0.0 for s, r in zip(sim, rel)]
    np.testing.assert_allclose(average_precisions(zq, zg, torch.tensor(yq), torch.tensor(yg)).numpy(), ref, atol=1e-6)


@pytest.mark.parametrize('k', [1, 5, 17, 1000])
def test_map_at_k_matches_reference_loop(k):
    rng = np.random.default_rng(4)
    zq, zg = rng.normal(size=(30, 4)), rng.normal(size=(60, 4))
    yq, yg = rng.integers(0, 3, 30), rng.integers(0, 3, 60)
    ref = brute_ap(cos(zq, zg), yq[:, None] == yg[None], k=k).mean()
    assert mean_average_precision(zq, zg, yq, yg, k=k) == pytest.approx(ref, abs=1e-6)


@pytest.mark.parametrize('k', [1, 10, 50])
def test_precision_at_k(k):
    rng = np.random.default_rng(5)
    zq, zg = rng.normal(size=(20, 4)), rng.normal(size=(80, 4))
    yq, yg = rng.integers(0, 3, 20), rng.integers(0, 3, 80)
    sim = cos(zq, zg)
    ref = np.mean([(yg[np.argsort(-s, kind='stable')[:k]] == y).sum() / k for s, y in zip(sim, yq)])
    assert precision_at_k(zq, zg, yq, yg, k=k) == pytest.approx(ref, abs=1e-6)


def test_pr_curve_matches_interpolated_reference():
    rng = np.random.default_rng(6)
    zq, zg = rng.normal(size=(15, 4)), rng.normal(size=(40, 4))
    yq, yg = rng.integers(0, 3, 15), rng.integers(0, 3, 40)
    sim = cos(zq, zg)
    levels = np.linspace(0, 1, 11)
    curves = []
    for s, y in zip(sim, yq):
        r = (yg == y)[np.argsort(-s, kind='stable')]
        prec, rec = np.cumsum(r) / np.arange(1, 41), np.cumsum(r) / max(r.sum(), 1)
        curves.append([prec[rec >= t - 1e-12].max() if r.any() else 0 for t in levels])
    lv, p = pr_curve(zq, zg, yq, yg)
    np.testing.assert_allclose(lv, levels); np.testing.assert_allclose(p, np.mean(curves, 0), atol=1e-6)


def test_chunking_does_not_change_results():
    rng = np.random.default_rng(7)
    zq, zg = rng.normal(size=(100, 8)), rng.normal(size=(150, 8))
    yq, yg = rng.integers(0, 6, 100), rng.integers(0, 6, 150)
    full = average_precisions(zq, zg, yq, yg)
    tiny = average_precisions(zq, zg, yq, yg, budget_mb=0.001)     # one query row per chunk
    np.testing.assert_allclose(tiny.numpy(), full.numpy(), atol=1e-7)


def test_relevant_ranks_brute_force():
    rng = np.random.default_rng(8)
    s = torch.tensor(rng.integers(0, 4, size=(10, 12)).astype(np.float32))
    rel = torch.tensor(rng.random((10, 12)) < 0.4)
    ranks, R = relevant_ranks(s, rel)
    for row in range(10):
        order = np.lexsort((rel[row].numpy().astype(int), -s[row].numpy()))
        want = [j for j, g in enumerate(order, 1) if rel[row, g]]
        assert ranks[row, :len(want)].tolist() == want and int(R[row]) == len(want)


def brute_paired(zi, zt, t2i):
    si = cos(zi, zt, 'l2')
    i2t, t2i_r = [], []
    for i in range(len(zi)):
        own = t2i == i
        if not own.any(): continue
        best = si[i][own].max()
        i2t.append(1 + ((si[i] >= best) & ~own).sum())
    for t in np.flatnonzero(t2i >= 0):
        s = si[:, t]
        t2i_r.append(1 + ((s >= s[t2i[t]]) & (np.arange(len(zi)) != t2i[t])).sum())
    return np.array(i2t), np.array(t2i_r)


def test_recall_with_five_captions_and_unpaired_items():
    rng = np.random.default_rng(9)
    zi = rng.normal(size=(30, 6))
    t2i = np.r_[np.repeat(np.arange(25), 5), [-1, -1]]            # images 25..29 have no caption; two texts unpaired
    zt = np.r_[zi[t2i[:-2]] + 0.8 * rng.normal(size=(125, 6)), rng.normal(size=(2, 6))]
    r_i2t, r_t2i = paired_ranks(zi, zt, t2i, budget_mb=0.001)
    ref_i2t, ref_t2i = brute_paired(zi, zt, t2i)
    assert r_i2t.tolist() == ref_i2t.tolist() and r_t2i.tolist() == ref_t2i.tolist()
    m = recall_at_k(zi, zt, t2i)
    assert (m['n_i2t'], m['n_t2i']) == (25, 125)
    assert m['i2t_r5'] == pytest.approx(100 * np.mean(ref_i2t <= 5))
    assert m['t2i_medr'] == np.floor(np.median(ref_t2i)) and m['i2t_medr'] == np.floor(np.median(ref_i2t))
    assert m['rsum'] == pytest.approx(sum(100 * np.mean(r <= k) for r in (ref_i2t, ref_t2i) for k in (1, 5, 10)))


@pytest.mark.parametrize('bad, msg', [
    (dict(zq=np.full((2, 2), np.nan)), 'NaN'),
    (dict(zq=np.ones(3)), '2-D'),
    (dict(yq=[0]), 'embeddings but 1 labels'),
    (dict(zg=np.ones((0, 2)), yg=[]), 'gallery: empty'),
    (dict(zg=np.ones((3, 5))), 'query is 2-d, gallery 5-d'),
])
def test_bad_inputs_name_the_problem(bad, msg):
    args = dict(zq=np.ones((2, 2)), zg=np.ones((3, 2)), yq=[0, 1], yg=[0, 1, 1]) | bad
    with pytest.raises(ValueError, match=msg):
        mean_average_precision(args['zq'], args['zg'], args['yq'], args['yg'])


def test_bad_normalisation_name():
    with pytest.raises(ValueError, match="normalize"):
        mean_average_precision(np.ones((2, 2)), np.ones((2, 2)), [0, 1], [0, 1], normalize='cosine')
