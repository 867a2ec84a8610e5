"""Time CFSA at Wikipedia scale: 4096-d image features, 300-d text features, 300-d class embeddings, 2,173 training
pairs (+693 test), 10 classes, DADN split with 2 validation classes. Random features of those shapes: this measures
speed, not accuracy. Reports the mean time per epoch and the time to the selected model (the whole fit: the selection run,
which must see every epoch to know the best, plus the refit on all seen classes), and peak memory (process peak RSS on CPU; torch's peak allocated memory on GPU).

Usage: python bench/bench_cfsa.py [--device cpu|cuda] [--epochs 40] [--d-hidden 512] [--amp]
"""
import argparse, json, resource, sys, time
from datetime import date

import numpy as np
import torch

from zscmr.cfsa import CFSA, CFSAConfig
from zscmr.data import CrossModalData, split_dadn
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--epochs', type=int, default=40)
    ap.add_argument('--d-hidden', type=int, default=512)
    ap.add_argument('--amp', action='store_true', help='bfloat16 autocast (CFSAConfig.amp)')
    a = ap.parse_args()
    data = wikipedia_shaped()
    split = split_dadn(data, n_val=2, seed=0)
    dev = torch.device(a.device)
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats(dev)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    m = CFSA(CFSAConfig(epochs=a.epochs, d_hidden=a.d_hidden, device=a.device, amp=a.amp)).fit(data, split, progress=False)
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
    print(json.dumps(row))


if __name__ == '__main__':
    main()
