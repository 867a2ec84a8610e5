"""Time zscmr's mAP@all against the field's reference evaluation loop.

The reference is written plainly, as DADN's and DSCMR's evaluation code does it: SciPy cosine distances for the whole
(query, gallery) matrix, a full argsort, then a Python loop over queries and over the ranked gallery. Both get the same
z-normalised embeddings and must agree to 1e-6. Each measurement runs in a fresh subprocess that regenerates the same
seeded data and makes one small warm-up call, so timings and peak memory (growth of the process's peak resident set during the call; on GPU, torch's
peak allocated memory) are not disturbed by the other method.

Usage: python bench/bench_map.py [--sizes 2000 10000 50000] [--ref-max 10000] [--device cpu] [--dim 64] [--classes 5]
"""
import argparse, json, platform, resource, subprocess, sys, time

import numpy as np
import torch
from scipy.spatial.distance import cdist

from zscmr.metrics import mean_average_precision, zscore


def reference_map(q, g, y_q, y_g):
    "The field's loop: cdist, argsort, Python loop over queries and ranks (ties: argsort order)."
    dist = cdist(q, g, 'cosine')
    order = dist.argsort()
    res = []
    for i in range(dist.shape[0]):
        p = r = 0.0
        for j, idx in enumerate(order[i], 1):
            if y_q[i] == y_g[idx]:
                r += 1
                p += r / j
        res.append(p / r if r > 0 else 0.0)
    return float(np.mean(res))


def make(n, dim, classes):
    "Seeded embeddings with a little class structure, so the mAP is above chance."
    rng = np.random.default_rng(n)
    y_q, y_g = rng.integers(0, classes, n), rng.integers(0, classes, n)
    q = (rng.normal(size=(n, dim)) + np.eye(classes, dim)[y_q]).astype(np.float32)
    g = (rng.normal(size=(n, dim)) + np.eye(classes, dim)[y_g]).astype(np.float32)
    return q, g, y_q, y_g


def run_one(method, n, dim, classes, device):
    "Measure one method in this process; print one JSON line."
    q, g, y_q, y_g = make(n, dim, classes)
    dev = torch.device(device)
    if method == 'ours':
        tq, tg, tyq, tyg = (torch.from_numpy(a).to(dev) for a in (q, g, y_q, y_g))
        if dev.type == 'cuda':
            mean_average_precision(tq[:10], tg, tyq[:10], tyg); torch.cuda.synchronize(dev); torch.cuda.reset_peak_memory_stats(dev)
        fn = lambda: mean_average_precision(tq, tg, tyq, tyg, normalize='zscore')
        mean_average_precision(tq[:200], tg[:2000], tyq[:200], tyg[:2000])      # warm-up: one-time start-up costs
    else:
        zq, zg = zscore(torch.from_numpy(q)).double().numpy(), zscore(torch.from_numpy(g)).double().numpy()
        fn = lambda: reference_map(zq, zg, y_q, y_g)
        reference_map(zq[:200], zg[:2000], y_q[:200], y_g[:2000])              # the same warm-up
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter(); m = fn()
    if dev.type == 'cuda': torch.cuda.synchronize(dev)
    dt = time.perf_counter() - t0
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024      # kB on Linux
    if method == 'ours' and dev.type == 'cuda': peak = torch.cuda.max_memory_allocated(dev) / 2**20
    print(json.dumps(dict(map=m, seconds=dt, peak_mb=peak)))


def measure(method, a, n):
    out = subprocess.run([sys.executable, __file__, '--one', method, '--sizes', str(n), '--dim', str(a.dim),
                          '--classes', str(a.classes), '--device', a.device], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cpu_name():
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError: pass
    return platform.processor() or 'unknown CPU'


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--sizes', type=int, nargs='+', default=[2000, 10000, 50000])
    ap.add_argument('--ref-max', type=int, default=10000, help='largest size the reference loop runs at')
    ap.add_argument('--dim', type=int, default=64)
    ap.add_argument('--classes', type=int, default=5)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--json', help='also write the rows to this file')
    ap.add_argument('--one', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one: return run_one(a.one, a.sizes[0], a.dim, a.classes, a.device)
    dev = torch.device(a.device)
    machine = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else f'{cpu_name()}, {torch.get_num_threads()} threads'
    print(f'machine: {machine}; torch {torch.__version__}, numpy {np.__version__}; d={a.dim}, {a.classes} classes', flush=True)
    rows = []
    for n in a.sizes:
        ours = measure('ours', a, n)
        row = dict(n=n, ours_s=round(ours['seconds'], 3), ours_peak_mb=round(ours['peak_mb'], 1), map=round(ours['map'], 6))
        if n <= a.ref_max:
            ref = measure('reference', a, n)
            assert abs(ref['map'] - ours['map']) < 1e-6, f"mAP disagrees at n={n}: reference {ref['map']}, zscmr {ours['map']}"
            row |= dict(ref_s=round(ref['seconds'], 3), ref_peak_mb=round(ref['peak_mb'], 1),
                        speedup=round(ref['seconds'] / ours['seconds'], 1), agree='yes (<1e-6)')
        else:
            row |= dict(ref_s=None, ref_peak_mb=None, speedup=None,
                        agree=f'reference not run: its distance and argsort matrices alone need {n * n * 16 / 2**30:.0f} GiB')
        rows.append(row)
        print(json.dumps(row), flush=True)
    print('\n| queries × gallery | zscmr (s) | zscmr peak (MB) | reference loop (s) | reference peak (MB) | speed-up | agreement |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        dash = lambda v, suf='': '—' if v is None else f'{v}{suf}'
        print(f"| {r['n']:,} × {r['n']:,} | {r['ours_s']} | {r['ours_peak_mb']} | {dash(r['ref_s'])} | {dash(r['ref_peak_mb'])} | {dash(r['speedup'], '×')} | {r['agree']} |")
    if a.json:
        with open(a.json, 'w') as f: json.dump(dict(machine=machine, rows=rows), f, indent=1)


if __name__ == '__main__':
    main()
