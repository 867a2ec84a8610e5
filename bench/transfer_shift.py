"""How strong a domain shift can AEIR's losses undo?

The slanted-digits scenario of `transfer_variants.py` at several strengths of slant (pixels per row; 0 = no shift, the
target is just the other half of the same digits), 5 seeds each: target rsum of source-only, structure-only, AEIR with
three forms of the encoders' adversarial loss, and the paired-target oracle. The three forms:

- flipped labels on both domains (the library's default, as in the authors' code): the encoders minimise the
  discriminator's loss with source and target swapped;
- flipped labels on the target only (ADDA, Tzeng et al. 2017): the encoders only make target look like source;
- domain confusion (Tzeng et al. 2015): the encoders push the discriminator's output towards 0.5 on both domains,
  a loss whose minimum is exactly "cannot tell", so it cannot overshoot into swapping the domains.

The last two are passed to AEIR as its `confusion` loss (`AEIR(..., losses=...)`). Each run records the
discriminators' mean accuracy over the last 5 epochs (0.5 = confused; far below 0.5 = the domains swapped sides).

Every run trains the transfer losses from the first epoch, for 30 epochs (the library's schedule when this was
measured); bench/transfer_digits.py --slant measures the authors' schedule, a source-only phase first.

Usage: python bench/transfer_shift.py [--slants 0 0.5 1 1.5] [--seeds 0 1 2 3 4] [--jobs 2]
                                      [--out bench/results/transfer_shift.json]
"""
import argparse, json, time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

import zscmr.transfer as T
from zscmr.train import cpu_model
from transfer_variants import slanted_scenario, JOINT_FROM_START

def confusion_target_only(D, z_src, z_tgt):
    "ADDA's inverted label, on the target only: the source embeddings are left where the source loss puts them."
    b = D(z_tgt)
    return F.binary_cross_entropy_with_logits(b, torch.ones_like(b))

def confusion_uniform(D, z_src, z_tgt):
    "Domain confusion: cross-entropy of the discriminator's output against 1/2 on both domains."
    a, b = D(z_src), D(z_tgt)
    return F.binary_cross_entropy_with_logits(a, torch.full_like(a, .5)) + F.binary_cross_entropy_with_logits(b, torch.full_like(b, .5))

FORMS = {'flipped': T.confusion_loss, 'target-only': confusion_target_only, 'uniform': confusion_uniform}
VARIANTS = {  # name: (AEIRConfig overrides, adversarial form)
    'source-only': (dict(w_adv=0.0, w_struct=0.0), 'flipped'),
    'structure-only': (dict(w_adv=0.0), 'flipped'),
    'AEIR (library: flipped labels, both domains)': ({}, 'flipped'),
    'AEIR, flipped label on target only (ADDA)': ({}, 'target-only'),
    'AEIR, domain confusion (towards 1/2)': ({}, 'uniform'),
    'paired-target oracle': (dict(paired_target=True, w_adv=0.0, w_struct=0.0), 'flipped'),
}


def run_one(task):
    slant, name, seed = task
    torch.set_num_threads(1)
    kw, form = VARIANTS[name]
    td = slanted_scenario(slant)
    t0 = time.perf_counter()
    m = T.AEIR(T.AEIRConfig(seed=seed, **JOINT_FROM_START | kw), losses=dict(confusion=FORMS[form])).fit(td, progress=False)
    r = m.evaluate(td)
    acc = [(h['acc_img'] + h['acc_txt']) / 2 for h in m.history[-5:] if 'acc_img' in h]
    return dict(slant=slant, variant=name, seed=seed, rsum=r['rsum'], i2t_r10=r['i2t_r10'], t2i_r10=r['t2i_r10'],
                disc_acc=float(np.mean(acc)) if acc else None, seconds=time.perf_counter() - t0, cpu=cpu_model())


def table(rows, slants):
    "Markdown: target rsum mean ± std per variant and slant, then each variant minus source-only, paired by seed."
    get = lambda v, s: {r['seed']: r['rsum'] for r in rows if r['variant'] == v and r['slant'] == s}
    head = '| variant | ' + ' | '.join(f'slant {s:g}' for s in slants) + ' |\n|---|' + '---|' * len(slants)
    out = [f'**Target rsum**, mean ± std over {len({r["seed"] for r in rows})} seeds:', '', head]
    for v in VARIANTS:
        out.append(f'| {v} | ' + ' | '.join(f'{np.mean(list(get(v, s).values())):.1f} ± {np.std(list(get(v, s).values())):.1f}' for s in slants) + ' |')
    out += ['', '**Each variant minus source-only**, paired by seed: mean ± standard error:', '', head]
    for v in list(VARIANTS)[1:]:
        cells = []
        for s in slants:
            a, b = get(v, s), get('source-only', s)
            d = np.array([a[k] - b[k] for k in sorted(a)])
            cells.append(f'{d.mean():+.1f} ± {d.std(ddof=1) / np.sqrt(len(d)):.1f}')
        out.append(f'| {v} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--slants', type=float, nargs='+', default=[0.0, 0.5, 1.0, 1.5])
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    ap.add_argument('--jobs', type=int, default=2, help='processes of one torch thread each')
    ap.add_argument('--out', default='bench/results/transfer_shift.json')
    a = ap.parse_args()
    tasks = [(s, v, k) for s in a.slants for v in VARIANTS for k in a.seeds]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(a.jobs) as ex:
        rows = list(tqdm(ex.map(run_one, tasks), total=len(tasks), desc='AEIR runs'))
    print(table(rows, a.slants))
    Path(a.out).write_text(json.dumps(dict(
        slants=a.slants, seeds=a.seeds, date=str(date.today()), torch=torch.__version__, cpu=cpu_model(),
        threads=f'{a.jobs} processes of 1 torch thread', seconds=round(time.perf_counter() - t0, 1),
        command='python bench/transfer_shift.py', rows=rows), indent=1))


if __name__ == '__main__':
    main()
