"""The results files in bench/results/ have the shape the experiment notebooks read. The notebooks render every table
and figure from these files in code cells, so under nbdev_test page and file cannot disagree; these tests only check
that each file is there, is well-formed, and pairs its runs by seed where the notebooks pair them."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'bench' / 'results'
EXPERIMENTS = sorted((ROOT / 'nbs' / 'experiments').glob('*.ipynb'))
METRICS = ('i2t_r1', 'i2t_r5', 'i2t_r10', 't2i_r1', 't2i_r5', 't2i_r10', 'rsum', 'i2t_medr', 't2i_medr', 'seconds')


def load(name):
    return json.loads((RESULTS / name).read_text())


def numbers(rows, keys):
    for r in rows:
        for k in keys:
            assert isinstance(r[k], (int, float)) and r[k] == r[k], f'{k} is not a number in {r}'


def read_by_notebooks() -> set:
    "Every results file an experiment notebook passes to load_results."
    names = set()
    for nb in EXPERIMENTS:
        src = '\n'.join(''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code')
        names |= set(re.findall(r"load_results\(f?'([^']+)'\)", src))
        names |= set(re.findall(r"variant_table\('([^']+)'\)", src))
        names |= set(re.findall(r"load_worlds\('([^']+)'\)", src))
    return names


def test_every_file_the_experiments_read_exists():
    names = read_by_notebooks()
    assert names, 'no experiment notebook reads a results file'
    for n in names:
        for path in ([RESULTS / n.replace('{s}', s) for s in ('0', '0.5', '1', '1.5')] if '{s}' in n else [RESULTS / n]):
            assert path.exists(), f'{path.relative_to(ROOT)} is read by an experiment notebook but absent'


@pytest.mark.parametrize('folder', ['digits', 'digits_20_seeds', 'wikipedia'])
def test_benchmark_records(folder):
    rec = load(f'{folder}/records.json')
    meta, runs = rec['meta'], rec['records']
    assert {'seeds', 'splits', 'machine', 'wall_seconds'} <= set(meta)
    numbers(runs, ('unseen_avg', 'seen_avg', 'gzsl_avg', 'p50_i2t', 'p50_t2i', 'seconds'))
    for m in {r['method'] for r in runs}:
        assert sorted(r['seed'] for r in runs if r['method'] == m and r['split'] == 'dadn') == meta['seeds'], f'{folder}: {m} lacks seeds'


def test_digits_cfsa_variants():
    runs = load('digits_cfsa_variants.json')['records']
    numbers(runs, ('val_map', 'unseen_avg', 'seconds'))
    assert all(r['chosen']['epochs'] >= 1 for r in runs)
    for cpu in {r['cpu'] for r in runs}:
        base = {r['seed'] for r in runs if r['cpu'] == cpu and r['variant'] == 'default'}
        assert base, f'{cpu}: every CPU needs its own default runs (the deltas pair with them)'
        assert all(r['seed'] in base for r in runs if r['cpu'] == cpu), f'{cpu}: a run has no default to pair with'


def test_cfsa_timing():
    rows = load('cfsa_timing_cpu.json')
    numbers(rows, ('d_hidden', 'best_epoch', 's_per_epoch_selection', 's_per_epoch_refit', 's_to_selected_model', 'peak_mb'))
    assert all({'date', 'cpu', 'amp', 'command'} <= set(r) for r in rows)
    floors = [r for r in rows if 'floor_s' in r]
    assert floors and all(0 < r['floor_s'] < r['s_to_selected_model'] for r in floors), 'a floor must lie below the measured time'


@pytest.mark.parametrize('name', ['selection_on_test.json', 'selection_on_test_wikipedia.json'])
def test_selection_on_test(name):
    res = load(name)
    records = res['records']
    numbers(records, ('unseen_avg', 'seconds'))
    runs = {(r['variant'], r['method'], r['seed']): r for r in records}
    assert {v for v, _, _ in runs} == {'chosen on validation', 'chosen on test'} and {m for _, m, _ in runs} == {'CFSA', 'ridge regression (DeViSE-style)', 'CCA'}
    for (v, m, s), r in runs.items():
        other = runs[('chosen on validation' if v == 'chosen on test' else 'chosen on test', m, s)]   # the two rules pair by seed
        if v == 'chosen on test':
            assert r['unseen_avg'] >= other['unseen_avg'] - 0.02, 'a choice on test cannot be much worse than the honest one'
            curve = dict(r['curve'])
            if m == 'CFSA':
                assert sorted(curve) == list(range(1, len(curve) + 1)) and curve[r['chosen']['epochs']] == r['val_map']
                assert other['chosen']['epochs'] in curve


TRANSFER_STUDIES = {'transfer': 5, 'transfer_wikipedia': 1, 'transfer_lr_switch': 3, 'transfer_shift': 4, 'transfer_variants': 2}


@pytest.mark.parametrize('name', sorted(TRANSFER_STUDIES))
def test_transfer_study_records(name):
    "The runner's schema: every (variant, split) has the same seeds on each CPU, so paired differences pair every run."
    res = load(f'{name}.json')
    meta, runs = res['meta'], res['records']
    assert meta['study']['name'] == name and meta['study']['task'] == 'transfer'
    assert len({r['split'] for r in runs}) == TRANSFER_STUDIES[name] == len(meta['study']['splits'])
    assert {r['variant'] for r in runs} == set(meta['study']['variants'])
    numbers(runs, METRICS)
    assert any(r['variant'] == 'source-only' for r in runs), 'the tables pair every variant with source-only'
    for cpu in {(r['cpu'], r['device']) for r in runs}:
        cells = {}
        for r in runs:
            if (r['cpu'], r['device']) == cpu: cells.setdefault((r['variant'], r['split']), []).append(r['seed'])
        assert len({tuple(sorted(s)) for s in cells.values()}) == 1, f'{name}: every (variant, split) needs the same seeds'
    for r in runs:
        if r['disc_acc'] is not None: assert 0 <= r['disc_acc'] <= 1


@pytest.mark.parametrize('name', ['wikipedia_cfsa_variants.json', 'wikipedia_cfsa_ideas.json',
                                  'wikipedia_jfse_weight.json', 'wikipedia_glove.json'])
def test_wikipedia_variant_results(name):
    res = load(name)
    runs = res['records']
    numbers(runs, ('val_map', 'unseen_avg', 'seen_avg', 'seconds'))
    cells = {}
    for r in runs: cells.setdefault((r['variant'], r['method'], r['cpu']), []).append(r['seed'])
    assert len({tuple(sorted(s)) for s in cells.values()}) == 1, f'{name}: every (variant, method, CPU) needs the same seeds'


def test_notebook_times():
    res = load('notebook_times_cpu.json')
    numbers(res['rows'], ('seconds',))
    assert {'command', 'cpu', 'threads', 'date'} <= set(res) and all(r['ok'] for r in res['rows'])
    assert all((ROOT / 'nbs' / r['notebook']).exists() for r in res['rows']), 'a timed notebook no longer exists'
