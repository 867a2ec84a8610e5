"""Why does CFSA trail ridge regression and CCA on Wikipedia? A few CFSA variants on the DADN split, several seeds,
each scored on the *validation* classes (what model selection may look at) and on the unseen classes (what it may not).
A variant may only be adopted if it wins on validation.

Usage: python bench/wikipedia_cfsa_variants.py --data DIR [--seeds 0 1 2] [--jobs 2] [--out FILE]
"""
import argparse, json, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

VARIANTS = {
    'default': {},
    'linear encoders (d_hidden=0)': dict(d_hidden=0),
    'w_syn=3': dict(w_syn=3.0),
    'n_syn=256': dict(n_syn=256),
    'dropout 0.5': dict(dropout=0.5),
}


def one(job):
    import torch
    torch.set_num_threads(1)
    from zscmr.cfsa import CFSA, CFSAConfig
    from zscmr.data import load_wikipedia, split_dadn
    folder, name, seed = job
    data = load_wikipedia(folder, 'sqrt')
    split = split_dadn(data, 2, seed=seed)
    t0 = time.perf_counter()
    m = CFSA(CFSAConfig(seed=seed, **VARIANTS[name])).fit(data, split, progress=False)
    r = m.evaluate(data, split)
    return dict(variant=name, seed=seed, val=m.best_val, best_epoch=m.best_epoch, unseen=r['unseen_avg'],
                seen=r['seen_avg'], seconds=time.perf_counter() - t0)


def main():
    import numpy as np
    from tqdm.auto import tqdm
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', required=True)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--out', default='bench/results/wikipedia_cfsa_variants.json')
    a = ap.parse_args()
    jobs = [(a.data, v, s) for s in a.seeds for v in VARIANTS]
    with ProcessPoolExecutor(a.jobs) as ex: rows = list(tqdm(ex.map(one, jobs), total=len(jobs), desc='variants'))
    print('| variant | validation mAP (selection may use) | unseen mAP (test) | seen mAP | best epoch | seconds |\n|---|---|---|---|---|---|')
    for v in VARIANTS:
        rs = [r for r in rows if r['variant'] == v]
        f = lambda k: f"{np.mean([r[k] for r in rs]):.3f} ± {np.std([r[k] for r in rs]):.3f}"
        print(f"| {v} | {f('val')} | {f('unseen')} | {f('seen')} | {np.mean([r['best_epoch'] for r in rs]):.0f} | {np.mean([r['seconds'] for r in rs]):.0f} |")
    Path(a.out).write_text(json.dumps(dict(seeds=a.seeds, rows=rows), indent=1))


if __name__ == '__main__':
    main()
