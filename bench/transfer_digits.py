"""AEIR, its ablations, source-only and the paired-target oracle (`zscmr.transfer.transfer_variants`, the library's
schedule: 30 source-only epochs, then 30 with the transfer losses), several seeds: mean ± std of target Recall@K, rsum
and median rank, each variant's rsum minus source-only's paired by seed, and the share of the source-only → oracle gap
that AEIR closes. One more row trains source-only as long as AEIR, to show that the gain is not from longer training.

Scenarios:
- default: the digits, class-disjoint (source digits 0-4 with pairs, target digits 5-9 without);
- `--slant S`: the digits, same classes, target images sheared by S pixels per row (a domain shift of the images only;
  half of the training digits are the source, the other half the target; zscmr.transfer.shifted_images);
- `--wikipedia DIR`: the Wikipedia feature release (no preprocessing, as the benchmark chose), source = DADN's seen
  categories (odd ids) with pairs, target = its unseen ones (even ids) without.

Usage: python bench/transfer_digits.py [--slant S | --wikipedia DIR] [--seeds 0 1 2 3 4] [--device auto|cpu|cuda] [--out FILE]
"""
import argparse, json, sys, time
from pathlib import Path

import numpy as np
import torch

from zscmr.data import load_digits, load_wikipedia
from zscmr.metrics import chance_rsum
from zscmr.train import machine, pick_device
from zscmr.transfer import AEIR, AEIRConfig, class_disjoint, shifted_images, slant_digits, transfer_variants

VARIANTS = transfer_variants() | {'source-only, trained as long as AEIR': dict(w_adv=0.0, w_struct=0.0, source_epochs=0)}
KEYS = ('i2t_r1', 'i2t_r10', 't2i_r1', 't2i_r10', 'rsum', 'i2t_medr', 't2i_medr', 'seconds')


def verdict(results) -> str:
    "Each variant's rsum minus source-only's, paired by seed; AEIR's margin against the larger seed spread; gap closed."
    rsum = {k: np.array([r['rsum'] for r in rs]) for k, rs in results.items()}
    so, lines = rsum['source-only'], ['', '**Minus source-only**, paired by seed (mean ± standard error of the rsum difference):', '']
    for k, v in rsum.items():
        se = f' ± {(v - so).std(ddof=1) / len(v) ** .5:.1f}' if len(v) > 1 else ' (one seed: no standard error)'
        if k != 'source-only': lines.append(f'- {k}: {(v - so).mean():+.1f}{se}')
    margin, spread = rsum['AEIR'].mean() - so.mean(), max(rsum['AEIR'].std(), so.std())
    gap = rsum['paired-target oracle'].mean() - so.mean()
    judged = (f"against a seed spread of {spread:.1f} ({'beats' if margin > spread else 'does not beat'} it by more than the spread)"
              if len(so) > 1 else 'on one seed (no spread to judge against)')
    lines += ['', f"AEIR minus source-only: {margin:+.1f} rsum {judged}; "
                  f"share of the source-only → oracle gap closed: {100 * margin / gap:.0f}%"]
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    ap.add_argument('--device', default='auto', help='auto (a GPU when there is one), cpu or cuda')
    ap.add_argument('--wikipedia', metavar='DIR', help='the Wikipedia feature release instead of the digits')
    ap.add_argument('--slant', type=float, help='target images sheared by this many pixels per row (same classes)')
    ap.add_argument('--out', help='default: bench/results/transfer_digits.json, transfer_wikipedia.json or transfer_slant_S.json')
    a = ap.parse_args()
    if a.wikipedia: td, what = class_disjoint(load_wikipedia(a.wikipedia, None), source_classes=[1, 3, 5, 7, 9]), 'Wikipedia, odd -> even category ids'
    elif a.slant is not None:
        td, what = shifted_images(load_digits(), lambda x: slant_digits(x, a.slant)), f'Digits, target images slanted {a.slant:g} px/row'
    else: td, what = class_disjoint(load_digits(), source_classes=[0, 1, 2, 3, 4]), 'Digits 0-4 -> 5-9'
    stem = 'wikipedia' if a.wikipedia else f'slant_{a.slant:g}' if a.slant is not None else 'digits'
    out = Path(a.out or f"bench/results/transfer_{stem}.json")
    n, where = td.target_test.n_img, machine(a.device)
    results = {k: [] for k in VARIANTS}
    for s in a.seeds:
        for name, kw in VARIANTS.items():
            t0 = time.perf_counter()
            m = AEIR(AEIRConfig(seed=s, device=a.device, **kw)).fit(td, progress=False)
            last = m.history[-1]
            r = m.evaluate(td) | dict(seconds=time.perf_counter() - t0, seed=s,
                                      disc_acc=(last['acc_img'] + last['acc_txt']) / 2 if 'acc_img' in last else None)
            results[name].append(r)
            print(f"{name:32s} seed {s}: rsum {r['rsum']:.1f}", flush=True)
    chance = chance_rsum(n)
    print(f"\n{what}, {n} target test pairs (random ranking: rsum {chance:.1f}); seeds {a.seeds}; {where}\n")
    print('| variant | ' + ' | '.join(KEYS) + ' |\n|---|' + '---|' * len(KEYS))
    for name, rs in results.items():
        cells = [f"{np.mean([r[k] for r in rs]):.1f} ± {np.std([r[k] for r in rs]):.1f}" for k in KEYS]
        print(f'| {name} | ' + ' | '.join(cells) + ' |')
    print(verdict(results))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(dict(scenario=what, command='python ' + ' '.join(sys.argv), seeds=a.seeds, chance_rsum=chance, device=str(pick_device(a.device)), machine=where,
                                   torch=torch.__version__, results=results), indent=1))


if __name__ == '__main__':
    main()
