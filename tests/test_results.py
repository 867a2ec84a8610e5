"""The tables in the chapters are copied from result files that bench/ scripts wrote: recompute each row's mean ± std
from the per-run records and check that the chapter prints exactly that, so a rerun that changes a number cannot
leave a stale table behind (and a typed-in number cannot pass)."""
import json
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def chapter(name: str) -> str:
    nb = json.loads((ROOT/'nbs'/name).read_text())
    return '\n'.join(''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'markdown')


def cell(values, digits: int = 3) -> str:
    "mean ± population std, formatted as the bench scripts print it."
    return f'{np.mean(values):.{digits}f} ± {np.std(values):.3f}'


def groups(rows, key):
    out = {}
    for r in rows: out.setdefault(r[key], []).append(r)
    return out


def test_digits_cfsa_variants_table_matches_its_results():
    runs = json.loads((ROOT/'bench/results/digits_cfsa_variants.json').read_text())['runs']
    text = chapter('04_cfsa.ipynb')
    by = groups(runs, 'cpu')
    for cpu, rs in by.items():
        for name, vs in groups(rs, 'name').items():
            row = f"| {cell([r['val'] for r in vs], 4)} | {cell([r['unseen_avg'] for r in vs])} | {np.mean([r['best_epoch'] for r in vs]):.0f} |"
            assert row in text, f'digits variant {name!r} on {cpu}: the chapter lacks {row!r}'
            if name == 'default': continue
            base = {r['seed']: r['val'] for r in rs if r['name'] == 'default'}
            d = np.array([r['val'] - base[r['seed']] for r in vs])          # paired with the same CPU's default
            delta = f"| {d.mean():+.4f} ± {d.std(ddof=1) / len(d) ** .5:.4f} |"
            assert f"{row} {np.mean([r['seconds'] for r in vs]):.0f} {delta}" in text, f'{name!r} on {cpu}: paired Δ {delta!r}'
    assert sum(len(groups(rs, "name")) for rs in by.values()) == 15
    assert all('default' in groups(rs, 'name') for rs in by.values()), 'every CPU needs its own default runs'


def test_twenty_seed_table_matches_its_records():
    from zscmr.benchmark import summarise, summary_markdown
    rec = json.loads((ROOT/'bench/results/digits_20_seeds/records.json').read_text())
    assert rec['meta']['seeds'] == list(range(20))
    assert summary_markdown(summarise(rec['records'], ['dadn'])) in chapter('04_cfsa.ipynb')


@pytest.mark.parametrize('result, key, cols', [
    ('wikipedia_cfsa_ideas.json', 'variant', ('val', 'unseen', 'seen')),
    ('wikipedia_cfsa_variants.json', 'variant', ('val', 'unseen', 'seen')),
    ('wikipedia_jfse_weight.json', 'variant', ('val', 'unseen', 'seen')),
    ('wikipedia_glove.json', 'variant', ('val', 'unseen', 'seen')),
])
def test_wikipedia_variant_tables_match_their_results(result, key, cols):
    rows = json.loads((ROOT/'bench/results'/result).read_text())['rows']
    text = chapter('07_benchmarks.ipynb')
    for name, rs in groups(rows, key).items():
        row = f"| {name} | " + ' | '.join(cell([r[c] for r in rs]) for c in cols) + ' |'
        assert row in text, f'{result}, {name!r}: the chapter lacks {row!r}'


def test_cfsa_timings_in_the_chapter_match_their_results():
    text = chapter('04_cfsa.ipynb')
    for r in json.loads((ROOT/'bench/results/cfsa_timing_cpu.json').read_text()):
        row = f"| {r['s_per_epoch_selection']:.2f} | {r['s_per_epoch_refit']:.2f} | {r['s_to_selected_model']:.1f} s |"
        assert row in text, f"timing of {r['date']} (amp={r['amp']}): the chapter lacks {row!r}"
        if 'floor_s' in r:                                   # 'How far from the hardware': operations, rate, floor, share
            floor = (f"| {r['s_to_selected_model']:.1f} s | {r['tflop']:.1f} TFLOP | {r['gemm_gflops']} GFLOP/s | "
                     f"{r['floor_s']:.1f} s | {round(100 * r['floor_s'] / r['s_to_selected_model'])}% |")
            assert floor in text, f"timing of {r['date']} (amp={r['amp']}, d_hidden={r['d_hidden']}): the chapter lacks {floor!r}"


def test_transfer_variants_table_matches_its_results():
    res = json.loads((ROOT/'bench/results/transfer_variants.json').read_text())['results']
    text = chapter('06_transfer.ipynb')
    scenarios = list(res)
    for v in res[scenarios[0]]:
        cells = ' | '.join(f"{np.mean(res[s][v]['rsum']):.1f} ± {np.std(res[s][v]['rsum']):.1f}" for s in scenarios)
        label = v.replace('tau 1, w 10', 'τ 1, weight 10')
        assert f'| {label} | {cells} |' in text, f'transfer variant {v!r}: the chapter lacks {cells!r}'


def test_transfer_shift_tables_match_their_results():
    "Both tables of 'How strong a shift can the losses undo?': rsum mean ± std, and the seed-paired gain over source-only."
    res = json.loads((ROOT/'bench/results/transfer_shift.json').read_text())
    text = chapter('06_transfer.ipynb')
    rsum = {}
    for r in res['rows']: rsum.setdefault(r['variant'], {}).setdefault(r['slant'], {})[r['seed']] = r['rsum']
    assert len(rsum) == 6 and all(len(by_slant) == len(res['slants']) for by_slant in rsum.values())
    for v, by_slant in rsum.items():
        cells = ' | '.join(f"{np.mean(list(by_slant[s].values())):.1f} ± {np.std(list(by_slant[s].values())):.1f}" for s in res['slants'])
        assert f'| {v} | {cells} |' in text, f'transfer shift, {v!r}: the chapter lacks {cells!r}'
        if v == 'source-only': continue
        diffs = [np.array([by_slant[s][k] - rsum['source-only'][s][k] for k in res['seeds']]) for s in res['slants']]
        cells = ' | '.join(f'{d.mean():+.1f} ± {d.std(ddof=1) / np.sqrt(len(d)):.1f}' for d in diffs)
        assert f'| {v} | {cells} |' in text, f'transfer shift, {v!r} minus source-only: the chapter lacks {cells!r}'


@pytest.mark.parametrize('result', ['transfer_digits.json', 'transfer_wikipedia.json', 'transfer_slant_1.json'])
def test_transfer_five_seed_tables_match_their_results(result):
    res = json.loads((ROOT/'bench/results'/result).read_text())['results']
    text = chapter('06_transfer.ipynb')
    keys = ('i2t_r1', 'i2t_r10', 't2i_r1', 't2i_r10', 'rsum', 'i2t_medr', 't2i_medr', 'seconds')
    for name, rs in res.items():
        row = f'| {name} | ' + ' | '.join(f"{np.mean([r[k] for r in rs]):.1f} ± {np.std([r[k] for r in rs]):.1f}" for k in keys) + ' |'
        assert row in text, f'{result}, {name!r}: the chapter lacks {row!r}'


def test_selection_on_test_tables_match_their_results():
    "bench/selection_on_test.py: honest vs test-picked choice, per method and dataset, with the paired gain."
    rows = json.loads((ROOT/'bench/results/selection_on_test.json').read_text())['rows']
    text = chapter('07_benchmarks.ipynb')
    seen = 0
    for (ds, meth), rs in groups([r | dict(key=(r['dataset'], r['method'])) for r in rows], 'key').items():
        d = np.array([r['picked_on_test'] - r['honest'] for r in rs])
        row = (f"| {meth} | {cell([r['honest'] for r in rs])} | {cell([r['picked_on_test'] for r in rs])} | "
               f"+{d.mean():.3f} ± {d.std(ddof=1) / len(d) ** .5:.3f} |")
        assert row in text, f'{ds}, {meth!r}: the chapter lacks {row!r}'
        assert all(r['picked_on_test'] >= r['honest'] - 0.02 for r in rs), 'a choice on test cannot be much worse than the honest one'
        seen += 1
    assert seen == 6


def test_transfer_slant_sweep_tables_match_their_results():
    "The slanted-digits sweep in the AEIR chapter: rsum per variant and slant, and each minus source-only, paired by seed."
    text = chapter('06_transfer.ipynb')
    res = {s: json.loads((ROOT/f'bench/results/transfer_slant_{s}.json').read_text())['results'] for s in ('0', '0.5', '1', '1.5')}
    rsum = lambda s, v: np.array([r['rsum'] for r in res[s][v]])
    for v in res['0']:
        row = f'| {v} | ' + ' | '.join(f'{rsum(s, v).mean():.1f} ± {rsum(s, v).std():.1f}' for s in res) + ' |'
        assert row in text, f'slant sweep, {v!r}: the chapter lacks {row!r}'
        if v == 'source-only': continue
        d = {s: rsum(s, v) - rsum(s, 'source-only') for s in res}
        row = f'| {v} | ' + ' | '.join(f'{x.mean():+.1f} ± {x.std(ddof=1) / len(x) ** .5:.1f}' for x in d.values()) + ' |'
        assert row in text, f'slant sweep minus source-only, {v!r}: the chapter lacks {row!r}'
    assert all(r['seed'] == k for s in res for rs in res[s].values() for k, r in enumerate(rs)), 'rows must pair by seed'


def test_transfer_lr_switch_table_matches_its_results():
    rows = json.loads((ROOT/'bench/results/transfer_lr_switch.json').read_text())['rows']
    text = chapter('06_transfer.ipynb')
    scen = ('class-disjoint 0-4 -> 5-9', 'slant 0.5', 'slant 1')
    for v, rs in groups(rows, 'variant').items():
        rsum = lambda s: np.array([r['rsum'] for r in rs if r['scenario'] == s])
        row = f'| {v} | ' + ' | '.join(f'{rsum(s).mean():.1f} ± {rsum(s).std():.1f}' for s in scen) + ' |'
        assert row in text, f'lr switch, {v!r}: the chapter lacks {row!r}'
