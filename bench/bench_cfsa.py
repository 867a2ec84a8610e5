"""Time CFSA at Wikipedia scale: 4096-d image features, 300-d text features, 300-d class embeddings, 2,173 training
pairs (+693 test), 10 classes, DADN split with 2 validation classes. Random features of those shapes: this measures
speed, not accuracy. Reports the mean time per epoch and the time to the selected model (the whole fit: the selection run,
which must see every epoch to know the best, plus the refit on all seen classes), and peak memory (process peak RSS on CPU; torch's peak allocated memory on GPU).

It also says how far the fit is from what the hardware allows: after the timed fit it counts the fit's floating-point
operations (torch's FlopCounterMode over one epoch of each phase and one validation pass, scaled by the epochs the fit
ran) and times a 2048 × 2048 matrix product in the precision the fit multiplies in. `floor_s` = operations ÷ that
product's rate: no implementation of this model, at this size, that multiplies with torch's math library on this
machine can finish faster (the CPU's theoretical peak is higher; a faster product library would lower the floor).

Usage: python bench/bench_cfsa.py [--device cpu|cuda] [--epochs 40] [--d-hidden 512] [--amp] [--no-flops]
"""
import argparse, dataclasses, json, resource, sys, time
from datetime import date

import numpy as np
import torch

from zscmr.cfsa import CFSA, CFSAConfig
from zscmr.data import CrossModalData, split_dadn, zero_shot_views
from zscmr.metrics import evaluate_retrieval
from zscmr.train import cpu_model, machine


def wikipedia_shaped(seed=0):
    rng = np.random.default_rng(seed)
    n_tr, n_te, C = 2173, 693, 10
    y = rng.integers(0, C, n_tr + n_te)
    E = rng.normal(size=(C, 300)).astype(np.float32)
    proj_i, proj_t = rng.normal(size=(300, 4096)) / 17, rng.normal(size=(300, 300)) / 17
    x_img = (E[y] @ proj_i + rng.normal(size=(len(y), 4096))).astype(np.float32)
    x_txt = (E[y] @ proj_t + rng.normal(size=(len(y), 300))).astype(np.float32)
    train = np.arange(len(y)) < n_tr
    return CrossModalData(x_img, x_txt, y, y, E, None, train, train, np.arange(len(y)))


def cpu_family_model() -> str | None:
    "'family F, model M' from /proc/cpuinfo: tells apart CPU generations that share a model name (e.g. 'AMD EPYC')."
    try: info = dict(l.split(':', 1) for l in open('/proc/cpuinfo').read().split('\n\n')[0].splitlines() if ':' in l)
    except OSError: return None
    info = {k.strip(): v.strip() for k, v in info.items()}
    return f"family {info['cpu family']}, model {info['model']}" if 'cpu family' in info and 'model' in info else None


def gemm_gflops(dev, dtype, n=2048, reps=30) -> float:
    "Best rate of an n × n matrix product on `dev` in `dtype`, in GFLOP/s (2n³ operations)."
    a, b = torch.randn(n, n, device=dev).to(dtype), torch.randn(n, n, device=dev).to(dtype)
    best = float('inf')
    for _ in range(reps + 2):
        if dev.type == 'cuda': torch.cuda.synchronize(dev)
        t = time.perf_counter(); a @ b
        if dev.type == 'cuda': torch.cuda.synchronize(dev)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def count_flops(fn) -> float:
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False) as fc: fn()
    return fc.get_total_flops()


def fit_flops(data, split, cfg: CFSAConfig, best_epoch: int) -> float:
    """Floating-point operations of a whole fit: one epoch of the selection phase and of the refit phase and one
    validation pass are counted, then scaled by the epochs and validations the fit ran."""
    one = dataclasses.replace(cfg, epochs=1, refit=False)
    views = zero_shot_views(data, split)
    m = CFSA(one)
    sel_epoch_and_val = count_flops(lambda: m.fit(data, split, progress=False))
    val = count_flops(lambda: evaluate_retrieval(m.embed, views['val_query'], views['val_gallery']))
    refit_epoch = count_flops(lambda: CFSA(one).fit(data, dataclasses.replace(split, val=[]), progress=False))
    n_val = -(-cfg.epochs // cfg.eval_every)                       # every eval_every epochs, and after the last
    return cfg.epochs * (sel_epoch_and_val - val) + n_val * val + best_epoch * refit_epoch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--epochs', type=int, default=40)
    ap.add_argument('--d-hidden', type=int, default=512)
    ap.add_argument('--amp', action='store_true', help='bfloat16 autocast (CFSAConfig.amp)')
    ap.add_argument('--no-flops', action='store_true', help='skip the operation count and the matrix-product rate')
    a = ap.parse_args()
    data = wikipedia_shaped()
    split = split_dadn(data, n_val=2, seed=0)
    dev = torch.device(a.device)
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats(dev)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    cfg = CFSAConfig(epochs=a.epochs, d_hidden=a.d_hidden, device=a.device, amp=a.amp)
    m = CFSA(cfg).fit(data, split, progress=False)
    total = time.perf_counter() - t0
    sel = [h for h in m.history if not h.get('refit')]
    ref = [h for h in m.history if h.get('refit')]
    peak = (torch.cuda.max_memory_allocated(dev) / 2**20 if dev.type == 'cuda'
            else (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024)
    row = dict(machine=machine(dev), cpu=cpu_model(), torch=torch.__version__, date=str(date.today()),
               command='python ' + ' '.join(sys.argv), device=a.device, d_hidden=a.d_hidden, epochs=a.epochs, amp=a.amp, best_epoch=m.best_epoch,
               s_per_epoch_selection=round(float(np.mean([h['seconds'] for h in sel])), 3),
               s_per_epoch_refit=round(float(np.mean([h['seconds'] for h in ref])), 3) if ref else None,
               s_to_selected_model=round(total, 1), peak_mb=round(peak, 1))
    row['cpu_id'] = cpu_family_model() if dev.type == 'cpu' else None
    if not a.no_flops:
        flops = fit_flops(data, split, cfg, m.best_epoch)
        rate = gemm_gflops(dev, torch.bfloat16 if a.amp else torch.float32)
        row |= dict(tflop=round(flops / 1e12, 2), gemm_gflops=round(rate), floor_s=round(flops / rate / 1e9, 1),
                    achieved_gflops=round(flops / total / 1e9))
    print(json.dumps(row))


if __name__ == '__main__':
    main()
