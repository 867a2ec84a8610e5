"""CFSA variants on the digits' DADN split (issue #3): does any setting beat the defaults on the *validation* classes?

Each variant is trained with 5 seeds exactly as `zscmr bench digits` trains CFSA (the seed also picks the 2 validation
classes among the 5 seen ones). We record the best validation mAP (held-out seen classes, what a user may select on)
and, for the record only, the unseen-class average mAP. A variant may be adopted only if its validation mAP is better.

'amp (bfloat16)' is not a tuning candidate: it checks that mixed precision (a speed option) leaves the numbers alone.

Usage: python bench/digits_cfsa_variants.py [--jobs 2] [--variants NAME ...] [--out bench/results/digits_cfsa_variants.json]
(--variants runs a subset and merges its runs into --out, replacing earlier runs of the same variant and seed)
"""
import argparse, json, platform, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from zscmr.benchmark import load_spec, benchmark_splits
from zscmr.cfsa import CFSA, CFSAConfig

VARIANTS = {'default': {}, 'w_syn 0.3': dict(w_syn=0.3), 'w_syn 3': dict(w_syn=3.0), 'n_syn 256': dict(n_syn=256),
            'w_cycle 1': dict(w_cycle=1.0), 'dropout 0.5': dict(dropout=0.5),
            'lr 3e-4, 80 epochs': dict(lr_gan=3e-4, lr_enc=3e-4, epochs=80), 'd_hidden 256': dict(d_hidden=256),
            'amp (bfloat16)': dict(amp=True), 'encoder EMA 0.95': {}, 'encoder EMA 0.99': {}}
CHECKS = ('amp (bfloat16)',)                                             # not tuning candidates
EMA = {'encoder EMA 0.95': 0.95, 'encoder EMA 0.99': 0.99}               # rewired below, not CFSAConfig fields


def use_encoder_ema(beta):
    """Polyak averaging, patched into zscmr.cfsa for this process: after every encoder step an exponential moving average
    of the encoders' weights is updated, and `embed` (hence validation, selection and evaluation) reads the average."""
    import copy, zscmr.cfsa as C
    init, step, embed = C._Nets.__init__, C.optimizer_step, C.CFSA.embed
    def nets_init(self, *a, **k):
        init(self, *a, **k)
        self.ema_img, self.ema_txt = (copy.deepcopy(e).requires_grad_(False) for e in (self.enc_img, self.enc_txt))
        self.opt.ema = self                                              # lets the step find the averages
    def averaged_step(opt, loss, clip=None):
        step(opt, loss, clip)
        n = getattr(opt, 'ema', None)
        if n is not None:
            with torch.no_grad():
                live = [*n.enc_img.parameters(), *n.enc_txt.parameters()]
                torch._foreach_lerp_([*n.ema_img.parameters(), *n.ema_txt.parameters()], live, 1 - beta)
    def averaged_embed(self, x, modality):
        n = self.nets; live = n.enc_img, n.enc_txt
        n.enc_img, n.enc_txt = n.ema_img, n.ema_txt
        try: return embed(self, x, modality)
        finally: n.enc_img, n.enc_txt = live
    C._Nets.__init__, C.optimizer_step, C.CFSA.embed = nets_init, averaged_step, averaged_embed


def one(job):
    name, seed = job
    torch.set_num_threads(1)
    if name in EMA: use_encoder_ema(EMA[name])
    data = load_spec(('digits',))
    split = benchmark_splits(data, 0)['dadn'](seed)
    t = time.perf_counter()
    m = CFSA(CFSAConfig(seed=seed, **VARIANTS[name])).fit(data, split, progress=False)
    return dict(name=name, seed=seed, val=m.best_val, unseen_avg=m.evaluate(data, split)['unseen_avg'],
                seconds=time.perf_counter() - t, best_epoch=m.best_epoch)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--variants', nargs='+', default=list(VARIANTS), choices=list(VARIANTS), metavar='NAME')
    ap.add_argument('--out', default='bench/results/digits_cfsa_variants.json')
    a = ap.parse_args()
    with ProcessPoolExecutor(a.jobs, max_tasks_per_child=1) as ex:     # a fresh process per run: patches stay in it
        runs = list(ex.map(one, [(n, s) for n in a.variants for s in a.seeds]))
    out = Path(a.out)
    if out.exists() and set(a.variants) != set(VARIANTS):                # a subset: keep the other variants' runs
        new = {(r['name'], r['seed']) for r in runs}
        runs = [r for r in json.loads(out.read_text())['runs'] if (r['name'], r['seed']) not in new] + runs
    names = [n for n in VARIANTS if any(r['name'] == n for r in runs)]
    print('| variant | validation mAP | unseen avg mAP | best epoch | seconds |\n|---|---|---|---|---|')
    val, unseen = ({n: [r[k] for r in runs if r['name'] == n] for n in names} for k in ('val', 'unseen_avg'))
    for n in names:
        ep, sec = ([r[k] for r in runs if r['name'] == n] for k in ('best_epoch', 'seconds'))
        print(f'| {n} | {np.mean(val[n]):.4f} ± {np.std(val[n]):.3f} | {np.mean(unseen[n]):.3f} ± {np.std(unseen[n]):.3f} '
              f'| {np.mean(ep):.0f} | {np.mean(sec):.0f} |')
    pearson = lambda a, b: float(np.corrcoef(a, b)[0, 1])
    tuned = [n for n in names if n not in CHECKS]                       # the correlation is about tuning candidates
    print(f"Pearson(validation, unseen) over the {len(tuned)} tuning variants: "
          f"{pearson([np.mean(val[n]) for n in tuned], [np.mean(unseen[n]) for n in tuned]):+.2f} over the variant means, "
          f"{pearson(sum((val[n] for n in tuned), []), sum((unseen[n] for n in tuned), [])):+.2f} over all runs")
    out.write_text(json.dumps(dict(machine=f'{platform.machine()} CPU, {a.jobs} jobs of 1 thread',
                                           torch=torch.__version__, runs=runs), indent=1))


if __name__ == '__main__':
    main()
