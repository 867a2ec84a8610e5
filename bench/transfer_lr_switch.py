"""One other form of AEIR's switch from the source phase to the transfer phase: the encoders' learning rate
divided by ten when the transfer losses start, as fine-tuning recipes often do, against the library's form (same rate
throughout) and source-only, on three scenarios (class-disjoint digits, slanted digits at 0.5 and 1 pixel per row),
5 seeds. The division is the library's `ScaleLR` training callback, passed to AEIR.

Usage: python bench/transfer_lr_switch.py [--seeds 0 1 2 3 4] [--jobs 2] [--out bench/results/transfer_lr_switch.json]
"""
import argparse, json, sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

SCENARIOS = ('class-disjoint 0-4 -> 5-9', 'slant 0.5', 'slant 1')
VARIANTS = ('source-only', 'AEIR', 'AEIR, encoder lr / 10 in the transfer phase')


def scenario(name):
    from zscmr.data import load_digits
    from zscmr.transfer import class_disjoint, shifted_images, slant_digits
    if name.startswith('class-disjoint'): return class_disjoint(load_digits(), source_classes=[0, 1, 2, 3, 4])
    return shifted_images(load_digits(), lambda x: slant_digits(x, float(name.split()[1])))


def run_one(task):
    import torch
    import zscmr.transfer as T
    from zscmr.train import cpu_model, ScaleLR
    scen, name, seed = task
    torch.set_num_threads(1)
    kw = T.transfer_variants()['source-only' if name == 'source-only' else 'AEIR']
    switch = [ScaleLR(kw['source_epochs'], 10)] if 'lr / 10' in name else []   # before the first transfer epoch
    td = scenario(scen)
    rsum = T.AEIR(T.AEIRConfig(seed=seed, **kw), callbacks=switch).fit(td, progress=False).evaluate(td)['rsum']
    return dict(scenario=scen, variant=name, seed=seed, rsum=rsum, cpu=cpu_model())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    ap.add_argument('--jobs', type=int, default=2, help='processes of one torch thread each')
    ap.add_argument('--out', default='bench/results/transfer_lr_switch.json')
    a = ap.parse_args()
    tasks = [(s, v, k) for s in SCENARIOS for v in VARIANTS for k in a.seeds]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(a.jobs, max_tasks_per_child=1) as ex:     # a fresh process per run
        rows = list(ex.map(run_one, tasks))
    get = lambda s, v: np.array([r['rsum'] for r in rows if r['scenario'] == s and r['variant'] == v])
    print('| variant | ' + ' | '.join(SCENARIOS) + ' |\n|---|' + '---|' * len(SCENARIOS))
    for v in VARIANTS:
        print(f'| {v} | ' + ' | '.join(f'{get(s, v).mean():.1f} ± {get(s, v).std():.1f}' for s in SCENARIOS) + ' |')
    for v in VARIANTS[1:]:
        d = {s: get(s, v) - get(s, 'source-only') for s in SCENARIOS}
        print(f'{v} minus source-only, paired: ' + ', '.join(f'{s} {x.mean():+.1f} ± {x.std(ddof=1) / len(x) ** .5:.1f}' for s, x in d.items()))
    Path(a.out).write_text(json.dumps(dict(seeds=a.seeds, command='python ' + ' '.join(sys.argv),
                                           seconds=round(time.perf_counter() - t0), rows=rows), indent=1))


if __name__ == '__main__':
    main()
