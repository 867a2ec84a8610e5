"The experiment runner: the same numbers in worker processes as in-process, merging by record key, clear errors."
import json

import pytest

from zscmr.data import DataError, load_dataset
from zscmr.experiments import Study, Variant, run_study, save_results, paired_differences
from zscmr.train import EMA

TINY = dict(epochs=3, eval_every=1)


def tiny_study():
    return Study('tiny', 'zero-shot', {'name': 'synthetic', 'seed': 0, 'n_per_class': 12}, ('CFSA', 'CCA'),
                 {'default': Variant(config=TINY), 'ema': Variant(config=TINY, callbacks=(lambda: EMA(0.9),))}, seeds=(0, 1))


def test_workers_give_the_numbers_of_one_process():
    one, two = (run_study(tiny_study(), jobs=j, progress=False)['records'] for j in (1, 2))
    key = lambda r: (r['variant'], r['method'], r['seed'])
    assert sorted(map(key, one)) == sorted(map(key, two))
    by = {key(r): r for r in two}
    assert all(r['unseen_avg'] == by[key(r)]['unseen_avg'] for r in one)


def test_a_callback_changes_the_run_and_pairs_by_seed():
    recs = run_study(tiny_study(), methods=['CFSA'], progress=False)['records']
    rows = paired_differences(recs, 'unseen_avg', base='default')
    assert [(r['variant'], r['n']) for r in rows] == [('ema', 2)]
    assert rows[0]['diff'] != 0


def test_save_replaces_same_key_and_keeps_others(tmp_path):
    p = tmp_path/'r.json'
    save_results(run_study(tiny_study(), methods=['CCA'], progress=False), p)
    save_results(run_study(tiny_study(), methods=['CCA'], seeds=[1], progress=False), p)
    recs = json.loads(p.read_text())['records']
    assert sorted((r['variant'], r['seed']) for r in recs) == [('default', 0), ('default', 1), ('ema', 0), ('ema', 1)]


def test_bad_studies_fail_clearly():
    with pytest.raises(ValueError, match=r"methods: unknown \['SVM'\]"): Study('x', 'zero-shot', 'digits', ('SVM',))
    with pytest.raises(ValueError, match="task must be one of"): Study('x', 'retrieval', 'digits', ('CCA',))
    with pytest.raises(DataError, match="dataset 'mnist': unknown"): Study('x', 'zero-shot', 'mnist', ('CCA',))
    with pytest.raises(ValueError, match=r"seeds: unknown|variants: unknown \['long'\]"): run_study(tiny_study(), variants=['long'])
    with pytest.raises(DataError, match="takes"): load_dataset({'name': 'synthetic', 'classes': 3})
