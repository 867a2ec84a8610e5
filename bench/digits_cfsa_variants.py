"""CFSA variants on the digits' DADN split: does any setting beat the defaults on the *validation* classes?

Each variant is trained with 5 seeds exactly as `zscmr bench digits` trains CFSA (the seed also picks the 2 validation
classes among the 5 seen ones). We record the best validation mAP (held-out seen classes, what a user may select on)
and, for the record only, the unseen-class average mAP. A variant may be adopted only if its validation mAP is better.

'amp (bfloat16)' and 'd_hidden 256 with amp' are not tuning candidates: they check what the speed options (mixed
precision; mixed precision at half the width, the setting that trained at Wikipedia scale in 45 s on a 2-core
CPU) do to the numbers.

Usage: python bench/digits_cfsa_variants.py [--jobs 2] [--variants NAME ...] [--out bench/results/digits_cfsa_variants.json]
(runs are merged into --out, replacing earlier runs of the same variant, seed and CPU model. A GAN's trajectory
depends on float rounding, which differs between CPU models, so each variant is compared, seed by seed, with the
default run on the same CPU: the table's Δ columns are those paired differences, mean ± standard error)
"""
import argparse, dataclasses, json, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm
import torch

from zscmr.benchmark import load_spec, benchmark_splits
from zscmr.cfsa import CFSA, CFSAConfig
from zscmr.train import cpu_model, EMA as EncoderEMA

VARIANTS = {'default': {}, 'w_syn 0.3': dict(w_syn=0.3), 'w_syn 3': dict(w_syn=3.0), 'n_syn 256': dict(n_syn=256),
            'w_cycle 1': dict(w_cycle=1.0), 'dropout 0.5': dict(dropout=0.5),
            'lr 3e-4, 80 epochs': dict(lr_gan=3e-4, lr_enc=3e-4, epochs=80), 'd_hidden 256': dict(d_hidden=256),
            'amp (bfloat16)': dict(amp=True), 'encoder EMA 0.95': {}, 'encoder EMA 0.99': {},
            'centred class embeddings': {}, 'w_syn 0.01 (JFSE)': dict(w_syn=0.01),
            'd_hidden 256 with amp': dict(d_hidden=256, amp=True)}
CHECKS = ('amp (bfloat16)', 'd_hidden 256 with amp')                    # not tuning candidates
EMA = {'encoder EMA 0.95': 0.95, 'encoder EMA 0.99': 0.99}               # a training callback, not a CFSAConfig field
CENTRED = ('centred class embeddings',)                                 # the data is changed, not the model


def centre_class_embeddings(data):
    """Subtract the mean class embedding (all classes: class embeddings, unlike features, are given for unseen classes in
    zero-shot learning) and rescale each row to unit length. The digits' descriptions share most of their meaning
    (mean pairwise cosine 0.67), so the raw targets and the generators' conditions are mostly one common vector."""
    E = data.cls_emb - data.cls_emb.mean(0)
    return dataclasses.replace(data, cls_emb=E / E.norm(dim=1, keepdim=True))


def one(job):
    name, seed = job
    torch.set_num_threads(1)
    data = load_spec(('digits',))
    if name in CENTRED: data = centre_class_embeddings(data)
    split = benchmark_splits(data, 0)['dadn'](seed)
    t = time.perf_counter()
    callbacks = [EncoderEMA(EMA[name])] if name in EMA else []        # Polyak averaging of the encoders' weights
    m = CFSA(CFSAConfig(seed=seed, **VARIANTS[name]), callbacks=callbacks).fit(data, split, progress=False)
    return dict(name=name, seed=seed, val=m.best_val, unseen_avg=m.evaluate(data, split)['unseen_avg'],
                seconds=time.perf_counter() - t, best_epoch=m.best_epoch, cpu=cpu_model())


def paired(runs, base, key):
    "Mean ± standard error of `key` minus the default's, seed by seed (same seed, same CPU)."
    d = np.array([r[key] - base[r['seed']][key] for r in runs])
    return f'{d.mean():+.4f} ± {d.std(ddof=1) / len(d) ** .5:.4f}'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS), metavar='NAME')
    ap.add_argument('--out', default='bench/results/digits_cfsa_variants.json')
    a = ap.parse_args()
    with ProcessPoolExecutor(a.jobs, max_tasks_per_child=1) as ex:     # a fresh process per run
        jobs = [(n, s) for n in a.variants for s in a.seeds]
        runs = list(tqdm(ex.map(one, jobs), total=len(jobs), desc='CFSA variants'))
    out = Path(a.out)
    if out.exists():                                                     # keep earlier runs, replacing same variant, seed, CPU
        new = {(r['name'], r['seed'], r['cpu']) for r in runs}
        runs = [r for r in json.loads(out.read_text())['runs'] if (r['name'], r['seed'], r['cpu']) not in new] + runs
    groups = {}                                                          # (CPU, variant) → runs, in VARIANTS order
    for r in sorted(runs, key=lambda r: (r['cpu'], list(VARIANTS).index(r['name']), r['seed'])):
        groups.setdefault((r['cpu'], r['name']), []).append(r)
    print('| variant | CPU | validation mAP | unseen avg mAP | best epoch | seconds | Δ validation, paired | Δ unseen, paired |\n'
          '|---|---|---|---|---|---|---|---|')
    for (cpu, n), rs in groups.items():
        base = {r['seed']: r for r in groups.get((cpu, 'default'), [])}
        both = [r for r in rs if r['seed'] in base]
        val, unseen, ep, sec = ([r[k] for r in rs] for k in ('val', 'unseen_avg', 'best_epoch', 'seconds'))
        delta = (f'{paired(both, base, "val")} | {paired(both, base, "unseen_avg")}' if n != 'default' and len(both) > 1
                 else '– | –')
        print(f'| {n} | {cpu} | {np.mean(val):.4f} ± {np.std(val):.3f} | {np.mean(unseen):.3f} ± {np.std(unseen):.3f} '
              f'| {np.mean(ep):.0f} | {np.mean(sec):.0f} | {delta} |')
    out.write_text(json.dumps(dict(machine=f'2-core CPU, {a.jobs} jobs of 1 thread (CPU model per run)',
                                   torch=torch.__version__, runs=runs), indent=1))
    tuned = [rs for (cpu, n), rs in groups.items() if n not in CHECKS]  # the correlation is about tuning candidates
    if len(tuned) < 3: return
    pearson = lambda a, b: float(np.corrcoef(a, b)[0, 1])
    col = lambda k: [[r[k] for r in rs] for rs in tuned]
    print(f"Pearson(validation, unseen) over the {len(tuned)} tuning groups (variant, CPU): "
          f"{pearson([np.mean(v) for v in col('val')], [np.mean(u) for u in col('unseen_avg')]):+.2f} over the group means, "
          f"{pearson(sum(col('val'), []), sum(col('unseen_avg'), [])):+.2f} over all {sum(map(len, tuned))} runs")

if __name__ == '__main__':
    main()
