"""The study of when CFSA's synthesis pays: the digit attribute table, the dial world, the studies of bench/studies.py and their results files."""
import json, sys
from pathlib import Path

import numpy as np
import pytest

from zscmr.baselines import CCA, RidgeRegression
from zscmr.cfsa import CFSA, CFSAConfig
from zscmr.data import DataError, digit_attributes, load_digits, make_dial_world, split_dadn
from zscmr.experiments import RUN_SEED, run_job

ROOT = Path(__file__).resolve().parents[1]
METHODS = {'CFSA', 'ablation: no synthesis (MLP regression)', 'ridge regression (DeViSE-style)', 'CCA'}
KEYS = ('unseen_i2t', 'unseen_t2i', 'unseen_avg', 'seen_avg', 'gzsl_avg')
STUDIES = ('synthesis_pays', 'synthesis_pays_more_pairs', 'synthesis_pays_more_classes', 'synthesis_pays_most_pairs')

sys.path.insert(0, str(ROOT / 'bench'))
import studies  # noqa: E402  (bench/studies.py)


def test_digit_attributes_table_has_a_definition_per_attribute():
    a = digit_attributes()
    assert a['cls_emb'].shape == (10, 20) and a['cls_emb'].dtype == np.float32
    assert len(a['attributes']) == len(set(a['attributes'])) == 20
    assert all(isinstance(d, str) and len(d.split()) >= 3 for d in a['definitions'])
    assert ((a['cls_emb'] >= 0) & (a['cls_emb'] <= 1)).all()
    assert len({tuple(r) for r in a['cls_emb']}) == 10, 'two digits share an attribute row'
    assert a['class_names'][8] == 'eight' and a['cls_emb'][8, a['attributes'].index('loops')] == 1   # eight: two loops


def test_load_digits_uses_the_chosen_class_embedding():
    sent, att = load_digits(), load_digits(cls_emb='attributes')
    assert sent.cls_emb.shape == (10, 384) and sent.meta['cls_emb'] == 'sentences'
    assert np.array_equal(att.cls_emb.numpy(), digit_attributes()['cls_emb'])
    assert att.meta['cls_emb'] == 'attributes' and len(att.meta['definitions']) == 20
    assert np.array_equal(att.x_img.numpy(), sent.x_img.numpy()) and att.class_names == sent.class_names
    with pytest.raises(DataError, match="cls_emb: expected one of"):
        load_digits(cls_emb='words')


def unseen_map(model, determined, seed=0):
    w = make_dial_world(determined=determined, seed=seed)
    s = split_dadn(w, n_val=2, seed=seed)
    return model.fit(w, s, progress=False).evaluate(w, s)['unseen_avg']


def test_dial_world_fully_determined_ridge_recovers_unseen_classes():
    chance = 1 / 15                                           # 15 unseen classes of 30, balanced
    assert unseen_map(RidgeRegression(), 1.0) > 4 * chance


@pytest.mark.parametrize('make', [RidgeRegression, CCA, lambda: CFSA(CFSAConfig(epochs=4, d_hidden=64, device='cpu')),
                                  lambda: CFSA(CFSAConfig(epochs=4, d_hidden=64, synthesis=False, device='cpu'))])
def test_dial_world_not_determined_every_method_near_chance(make):
    chance = 1 / 15
    assert abs(unseen_map(make(), 0.0) - chance) < 0.05


def test_dial_world_dials_and_errors():
    a, b = make_dial_world(seed=1), make_dial_world(seed=1)
    assert np.array_equal(a.x_img.numpy(), b.x_img.numpy()) and a.n_classes == 30 and a.cls_emb.shape == (30, 6)
    far = make_dial_world(novelty=5.0, seed=1)
    gap = lambda w: float((w.cls_emb[::2].mean(0) - w.cls_emb[1::2].mean(0)).norm())
    assert gap(far) > gap(a) + 3                               # even ids (DADN's unseen side) moved away
    for kw, msg in [(dict(determined=1.5), 'determined: expected a share'), (dict(novelty=-1), 'novelty: expected'),
                    (dict(n_classes=1), 'at least 2 classes')]:
        with pytest.raises(DataError, match=msg):
            make_dial_world(**kw)


def test_synthesis_pays_study_has_every_world():
    study = studies.synthesis_pays()
    assert set(study.methods) == METHODS and study.splits == ('dadn',) and len(study.seeds) == 5
    specs = {v: var.dataset for v, var in study.variants.items()}
    assert specs['digits, attributes'] == {'name': 'digits', 'cls_emb': 'attributes'}
    dials = {(s['determined'], s['novelty']) for s in specs.values() if s['name'] == 'dial'}
    assert dials == {(d, n) for d in (0.0, 0.25, 0.5, 0.75, 1.0) for n in (0.0, 2.0)}
    assert all(s['seed'] == RUN_SEED and (s['n_per_class'], s['n_classes']) == (20, 30) for s in specs.values() if s['name'] == 'dial')
    assert studies.synthesis_pays_more_classes().variants['dial world, determined 1, novelty 0, 90 classes'].dataset['n_classes'] == 90


def test_dial_world_study_draws_the_world_with_the_run_seed():
    "A run of the study fits on make_dial_world(seed=the run's seed), as a direct fit does."
    study = studies.synthesis_pays()
    for seed in (0, 1):
        r = run_job(study, 'dial world, determined 1, novelty 0', 'ridge regression (DeViSE-style)', 'dadn', seed)
        assert r['unseen_avg'] == pytest.approx(unseen_map(RidgeRegression(), 1.0, seed), abs=1e-6)


@pytest.mark.parametrize('name', STUDIES)
def test_synthesis_pays_results(name):
    res = json.loads((ROOT / 'bench/results' / f'{name}.json').read_text())
    meta, records = res['meta'], res['records']
    study = getattr(studies, name)()
    assert set(meta['study']['variants']) == set(study.variants) and meta['study']['seeds'] == list(study.seeds)
    runs = [(r['variant'], r['method'], r['seed']) for r in records]
    expected = {(v, m, s) for v in study.variants for m in study.methods for s in study.seeds}
    assert len(runs) == len(set(runs)), 'a run appears twice'
    assert set(runs) == expected
    for r in records:
        assert all(0 <= r[k] <= 1 for k in KEYS), r
        assert r['seconds'] > 0 and r['chosen'] and r['val'] and not set(r['val']) & set(r['unseen'])
        assert r['unseen'] == sorted(r['unseen']) and r['unseen'][:3] == [0, 2, 4]   # DADN: even ids unseen
