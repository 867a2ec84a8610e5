"""The baselines at deep-feature shapes: CCA's ridge rule, its choice on validation classes, and the committed
benchmark of bench/bench_baselines.py."""
import json
from pathlib import Path

import numpy as np
import pytest

from zscmr.baselines import CCA, RidgeRegression
from zscmr.data import make_synthetic, split_dadn

RESULTS = Path(__file__).resolve().parents[1] / 'bench' / 'results'


@pytest.fixture(scope='module')
def wide():
    "Fewer training pairs than image plus text dimensions (the case of deep features)."
    d = make_synthetic(n_classes=16, n_per_class=16, d_img=300, d_txt=100, d_emb=8, separation=0.5, seed=0)
    return d, split_dadn(d, n_val=2, seed=0)


def test_cca_with_fewer_pairs_than_dimensions_is_regularised_and_far_above_chance(wide):
    d, split = wide
    m = CCA().fit(d, split)
    r = m.evaluate(d, split)['unseen_avg']
    classical = CCA(reg=0.0).fit(d, split).evaluate(d, split)['unseen_avg']
    ridge = RidgeRegression().fit(d, split).evaluate(d, split)['unseen_avg']
    assert m.reg_ in CCA.reg_grid and set(m.reg_scores) == set(CCA.reg_grid) and set(m.val_scores) == set(CCA.grid)
    assert r > 2 * classical and r > 0.5 * ridge, (r, classical, ridge)


def test_cca_keeps_the_classical_form_where_pairs_outnumber_dimensions():
    d = make_synthetic(n_classes=8, n_per_class=40, seed=0)
    m = CCA().fit(d, split_dadn(d, n_val=2, seed=0))
    assert m.reg_ == 0.0 and set(m.reg_scores) == {0.0}


def test_cca_reg_validation_and_fixed(wide):
    d, split = wide
    m = CCA(reg='validation').fit(d, split)
    assert set(m.reg_scores) == {0.0, *CCA.reg_grid} and m.reg_ in m.reg_scores
    assert CCA(4, reg=0.5).fit(d, split).reg_ == 0.5
    with pytest.raises(ValueError, match=r"CCA\.reg: expected a number in \[0, inf\), 'validation' or None"): CCA(reg=-1)
    with pytest.raises(ValueError, match='set n_components'): CCA().fit_view(d)


def test_cca_checkpoint_round_trip(wide, tmp_path):
    d, split = wide
    m = CCA().fit(d, split)
    back = CCA.load(m.save(tmp_path / 'cca.pt'))
    assert np.allclose(back.embed(d.x_img, 'img').numpy(), m.embed(d.x_img, 'img').numpy())


def test_baselines_speed_results_have_their_fields():
    res = json.loads((RESULTS / 'baselines_speed.json').read_text())
    assert {'machine', 'runs', 'speed', 'accuracy', 'agreement'} <= set(res)
    assert all({'date', 'command', 'load_average_before', 'load_average_after'} <= set(res['runs'][p]) for p in ('speed', 'accuracy', 'agreement'))
    ours = [r for r in res['speed'] if r['method'] in ('ridge regression', 'CCA')]
    assert {(r['method'], r['d_txt'], r['threads']) for r in ours} == {(m, t, n) for m in ('ridge regression', 'CCA') for t in (300, 1024) for n in (1, 2)}
    assert all(r['n_pairs'] == 2000 and r['d_img'] == 4096 and r['fit_s'] > 0 and r['fit_view_s'] > 0 for r in ours)
    old = [r for r in res['speed'] if 'iterative' in r['method']]
    assert old and all(r['finished'] == (r['fit_view_s'] is not None) for r in old)
    for r in res['accuracy']: assert 0 <= r['unseen_avg'] <= 1 and r['method'] and r['world']
    for r in res['agreement']: assert {'unseen_avg_then', 'unseen_avg_now', 'chosen_then', 'chosen_now'} <= set(r)
