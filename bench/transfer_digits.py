"""AEIR and its variants on the digits, class-disjoint transfer (source digits 0-4 with pairs, target digits 5-9
without), several seeds: mean ± std of target Recall@K, rsum and median rank, and the discriminators' final accuracy.
With `--wikipedia DIR` the same on the Wikipedia feature release (no preprocessing, as the benchmark chose): source =
DADN's seen categories (odd ids: biology, history, media, royalty, warfare) with pairs, target = its unseen ones (even
ids: art, geography, literature, music, sport) without.

Usage: python bench/transfer_digits.py [--wikipedia DIR] [--seeds 0 1 2 3 4] [--device auto|cpu|cuda] [--out FILE]
"""
import argparse, json, time
from pathlib import Path

import numpy as np
import torch

from zscmr.data import load_digits, load_wikipedia
from zscmr.train import machine, pick_device
from zscmr.transfer import AEIR, AEIRConfig, class_disjoint

VARIANTS = {
    'source-only': dict(w_adv=0.0, w_struct=0.0),
    'adversarial-only': dict(w_struct=0.0),
    'structure-only': dict(w_adv=0.0),
    'AEIR (adversarial + structure)': dict(),
    'paired-target oracle': dict(paired_target=True, w_adv=0.0, w_struct=0.0),
}
KEYS = ('i2t_r1', 'i2t_r10', 't2i_r1', 't2i_r10', 'rsum', 'i2t_medr', 't2i_medr', 'seconds')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    ap.add_argument('--device', default='auto', help='auto (a GPU when there is one), cpu or cuda')
    ap.add_argument('--wikipedia', metavar='DIR', help='the Wikipedia feature release instead of the digits')
    ap.add_argument('--out', help='default: bench/results/transfer_digits.json, or transfer_wikipedia.json')
    a = ap.parse_args()
    if a.wikipedia: td, what = class_disjoint(load_wikipedia(a.wikipedia, None), source_classes=[1, 3, 5, 7, 9]), 'Wikipedia, odd -> even category ids'
    else: td, what = class_disjoint(load_digits(), source_classes=[0, 1, 2, 3, 4]), 'Digits 0-4 -> 5-9'
    out = Path(a.out or f"bench/results/transfer_{'wikipedia' if a.wikipedia else 'digits'}.json")
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
    chance = 2 * sum(100 * k / n for k in (1, 5, 10))
    print(f"\n{what}, {n} target test pairs (random ranking: rsum {chance:.1f}); seeds {a.seeds}; {where}\n")
    print('| variant | ' + ' | '.join(KEYS) + ' |\n|---|' + '---|' * len(KEYS))
    for name, rs in results.items():
        cells = [f"{np.mean([r[k] for r in rs]):.1f} ± {np.std([r[k] for r in rs]):.1f}" for k in KEYS]
        print(f'| {name} | ' + ' | '.join(cells) + ' |')
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(dict(seeds=a.seeds, chance_rsum=chance, device=str(pick_device(a.device)), machine=where,
                                   torch=torch.__version__, results=results), indent=1))


if __name__ == '__main__':
    main()
