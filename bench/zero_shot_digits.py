"""CFSA, its ablations and the baselines on the embedded digits (or, with --wikipedia DIR, the Wikipedia benchmark's
original feature release), DADN split, several seeds: mean ± std per row.

Every method chooses its hyper-parameter (ridge alpha, CCA components, the neural models' epoch count) on two held-out
seen classes, then refits on all seen classes; the seed sets initialisation, batches and which seen classes validate.

Usage: python bench/zero_shot_digits.py [--seeds 0 1 2 3 4] [--jobs 2] [--wikipedia DIR] [--only NAME ...] [--out FILE]
"""
import argparse, json, os, platform, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def methods():
    from zscmr.baselines import CCA, RidgeRegression
    from zscmr.cfsa import CFSA, CFSAConfig
    cfsa = lambda **kw: (lambda s: CFSA(CFSAConfig(seed=s, **kw)))
    return {
        'CFSA (CMMD, default)': cfsa(),
        'CFSA, CMCA alignment': cfsa(alignment='cmca'),
        'CFSA, CMPM alignment': cfsa(alignment='cmpm'),
        'ablation: no alignment loss': cfsa(alignment=None),
        'ablation: no cycle loss': cfsa(w_cycle=0.0),
        'ablation: no synthesis (MLP regression)': cfsa(synthesis=False),
        'ridge regression (DeViSE-style)': lambda s: RidgeRegression(),
        'CCA': lambda s: CCA(),
    }


def one(job):
    import torch
    torch.set_num_threads(1)
    from zscmr.baselines import compare
    from zscmr.data import load_digits, load_wikipedia, split_dadn
    name, seed, wiki = job
    data = load_wikipedia(wiki) if wiki else load_digits()
    res = compare({name: methods()[name]}, data, lambda s: split_dadn(data, n_val=2, seed=s), seeds=(seed,), progress=False)
    return name, res[name][0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 1, help='parallel processes (one torch thread each)')
    ap.add_argument('--only', nargs='*', help='run only these method names')
    ap.add_argument('--wikipedia', help='folder of the Wikipedia release (raw_features.mat and the .list files)')
    ap.add_argument('--out', default='bench/results/zero_shot_digits.json')
    a = ap.parse_args()
    from zscmr.baselines import summary_table
    names = [n for n in methods() if not a.only or n in a.only]
    jobs = [(n, s, a.wikipedia) for s in a.seeds for n in names]
    results, t0 = {n: [] for n in names}, time.perf_counter()
    with ProcessPoolExecutor(a.jobs) as ex:
        for name, r in ex.map(one, jobs):
            results[name].append(r)
            print(f"{name:42s} seed {r['seed']}: unseen avg {r['unseen_avg']:.3f} ({r['seconds']:.0f} s)", flush=True)
    machine = f"{platform.processor() or platform.machine()}, {a.jobs} processes x 1 torch thread"
    print(f'\n{"Wikipedia" if a.wikipedia else "Digits"}, DADN split, seeds {a.seeds}; {machine}; wall {time.perf_counter() - t0:.0f} s\n')
    print(summary_table(results))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(dict(seeds=a.seeds, machine=machine, results=results), indent=1))


if __name__ == '__main__':
    main()
