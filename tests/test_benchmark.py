"The benchmark's bookkeeping (splits, per-seed averaging, the verdict) and the `zscmr bench` command."
import json

import numpy as np
import pytest

from zscmr.benchmark import benchmark_splits, choose_preprocess, per_seed, summarise, verdict
from zscmr.cli import main
from zscmr.data import load_wikipedia, make_synthetic


def rec(method, split, seed, v):
    keys = ('unseen_i2t', 'unseen_t2i', 'unseen_avg', 'seen_avg', 'gzsl_avg', 'p50_i2t', 'p50_t2i', 'seconds')
    return dict({k: v for k in keys}, method=method, split=split, seed=seed)


def test_random_split_numbers_are_averaged_over_splits_before_the_seed_spread():
    rs = [rec('A', 'random 1', 0, 0.2), rec('A', 'random 2', 0, 0.4), rec('A', 'random 1', 1, 0.3), rec('A', 'random 2', 1, 0.5)]
    assert per_seed(rs, 'A', 'unseen_avg', ['random 1', 'random 2']).tolist() == pytest.approx([0.3, 0.4])
    mu, sd = summarise(rs, ['random 1', 'random 2'])['A']['unseen_avg']
    assert (mu, sd) == pytest.approx((0.35, 0.05))


def test_verdict_needs_a_margin_larger_than_either_spread():
    s = {'CFSA': {'unseen_avg': (0.33, 0.01)}, 'near': {'unseen_avg': (0.31, 0.03)}, 'far': {'unseen_avg': (0.30, 0.01)}}
    assert verdict(s) == {'near': False, 'far': True}


def test_splits_are_fixed_and_the_seed_only_moves_validation():
    d = make_synthetic(n_classes=10, seed=0)
    a, b = benchmark_splits(d, 3), benchmark_splits(make_synthetic(n_classes=10, seed=5), 3)
    for k in a:
        assert a[k](0).unseen == b[k](3).unseen and len(a[k](0).unseen) == 5
        assert not set(a[k](1).val) & set(a[k](1).unseen)
    assert len({tuple(f(0).unseen) for f in a.values()}) == 4


def test_bench_command_writes_records_tables_and_figures(tmp_path, capsys):
    rc = main(['bench', 'digits', '--seeds', '0', '--random-splits', '1', '--jobs', '1', '--out', str(tmp_path),
               '--methods', 'ridge regression (DeViSE-style)', 'CCA'])
    assert rc == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert 'DADN split (unseen: zero, two, four, six, eight)' in out and '| CCA |' in out
    recs = json.loads((tmp_path / 'records.json').read_text())['records']
    assert len(recs) == 2 * 2 and all(0 < r['unseen_avg'] < 1 and len(r['class_ap_i2t']) == 5 for r in recs)
    assert {p.name for p in tmp_path.iterdir()} >= {'records.json', 'tables.md', 'pr_curves.png', 'class_ap.png'}


def test_bench_rejects_unknown_methods(capsys):
    assert main(['bench', 'digits', '--methods', 'DADN']) == 2
    assert "methods: unknown ['DADN']" in capsys.readouterr().err


def test_wikipedia_preprocessing_is_chosen_on_validation_classes(shared_data):
    best, scores = choose_preprocess(shared_data / 'wikipedia_svcl', seeds=(0, 1))
    assert set(scores) == {'sqrt', 'None'} and str(best) == max(scores, key=scores.get)
    assert all(0.2 < v < 1 for v in scores.values())


def test_figures_are_redrawn_from_a_report_folder(tmp_path):
    from zscmr.benchmark import bench_figures
    assert main(['bench', 'digits', '--seeds', '0', '--random-splits', '0', '--jobs', '1', '--out', str(tmp_path),
                 '--methods', 'ridge regression (DeViSE-style)']) == 0
    for f in ('pr_curves.png', 'class_ap.png'): (tmp_path / f).unlink()
    written = bench_figures(tmp_path)
    assert [p.name for p in written] == ['pr_curves.png', 'class_ap.png'] and all(p.stat().st_size > 1000 for p in written)
    saved = json.loads((tmp_path / 'records.json').read_text())          # as the experiment runner records them
    assert saved['meta']['spec'] == {'name': 'digits', 'cls_emb': 'sentences'} and saved['meta']['study']['name'] == 'benchmark'
    assert {'study', 'variant', 'cpu', 'device', 'threads', 'val_map', 'unseen_avg'} <= set(saved['records'][0])


def test_a_bench_run_cut_short_while_saving_leaves_the_earlier_report(tmp_path, monkeypatch, capsys):
    import zscmr.data
    args = ['bench', 'digits', '--seeds', '0', '--random-splits', '0', '--jobs', '1', '--out', str(tmp_path),
            '--methods', 'ridge regression (DeViSE-style)']
    assert main(args) == 0
    before = (tmp_path / 'records.json').read_bytes()
    def full(*a): raise OSError('No space left on device')
    monkeypatch.setattr(zscmr.data.os, 'replace', full)                            # the save fails at its last step
    assert main(args[:4] + ['1'] + args[5:]) != 0                                  # seed 1 this time
    assert 'No space left on device' in capsys.readouterr().err
    assert (tmp_path / 'records.json').read_bytes() == before and not list(tmp_path.glob('*.tmp'))
