"""Time zscmr's mAP@all against the field's reference evaluation loop.

The reference is written plainly, as DADN's and DSCMR's evaluation code does it: SciPy cosine distances for the whole
(query, gallery) matrix, a full argsort, then a Python loop over queries and over the ranked gallery. Both must agree
to 1e-6. Peak memory is the growth of the peak resident set of a forked child process that runs one method (CPU); on GPU,\ntorch's peak allocated memory.

Usage: python bench/bench_map.py [--sizes 2000 10000 50000] [--ref-max 10000] [--device cpu] [--dim 64] [--classes 5]
"""
import argparse, json, platform, time

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


def measure(fn):
    "Run fn() in a forked child; return (result, seconds, peak resident-memory growth of the child in MB)."
    import multiprocessing as mp, resource
    ctx = mp.get_context('fork')
    parent, child = ctx.Pipe()
    def work():
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter(); out = fn(); dt = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        child.send((out, dt, (peak - base) / 1024))   # ru_maxrss is in kB on Linux
    p = ctx.Process(target=work); p.start()
    out = parent.recv(); p.join()
    return out


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
    a = ap.parse_args()
    dev = torch.device(a.device)
    machine = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else f'{cpu_name()}, {torch.get_num_threads()} threads'
    print(f'machine: {machine}; torch {torch.__version__}, numpy {np.__version__}; d={a.dim}, {a.classes} classes')
    rows = []
    for n in a.sizes:
        rng = np.random.default_rng(n)
        y_q, y_g = rng.integers(0, a.classes, n), rng.integers(0, a.classes, n)
        q = (rng.normal(size=(n, a.dim)) + np.eye(a.classes, a.dim)[y_q]).astype(np.float32)
        g = (rng.normal(size=(n, a.dim)) + np.eye(a.classes, a.dim)[y_g]).astype(np.float32)
        tq, tg, tyq, tyg = map(torch.from_numpy, (q, g, y_q, y_g))
        if dev.type == 'cuda':
            tq, tg, tyq, tyg = (t.to(dev) for t in (tq, tg, tyq, tyg)); mean_average_precision(tq[:10], tg, tyq[:10], tyg)
            torch.cuda.synchronize(dev); torch.cuda.reset_peak_memory_stats(dev)
        ours, t_ours, m_ours = measure(lambda: mean_average_precision(tq, tg, tyq, tyg, normalize='zscore'))
        if dev.type == 'cuda': m_ours = torch.cuda.max_memory_allocated(dev) / 2**20
        row = dict(n=n, ours_s=round(t_ours, 3), ours_peak_mb=round(m_ours, 1), map=round(ours, 6))
        if n <= a.ref_max:   # the reference gets the same z-normalised embeddings; cdist's 'cosine' does the rest
            zq, zg = zscore(torch.from_numpy(q)).double().numpy(), zscore(torch.from_numpy(g)).double().numpy()
            ref, t_ref, m_ref = measure(lambda: reference_map(zq, zg, y_q, y_g))
            assert abs(ref - ours) < 1e-6, f'mAP disagrees at n={n}: reference {ref}, zscmr {ours}'
            row |= dict(ref_s=round(t_ref, 3), ref_peak_mb=round(m_ref, 1), speedup=round(t_ref / t_ours, 1), agree='yes (<1e-6)')
        else:
            row |= dict(ref_s=None, ref_peak_mb=round(n * n * 8 * 2 / 2**20), speedup=None,
                        agree=f'reference not run: its distance and argsort matrices alone need {n * n * 16 / 2**30:.0f} GiB')
        rows.append(row)
        print(json.dumps(row), flush=True)
    print('\n| gallery × queries | zscmr (s) | zscmr peak (MB) | reference loop (s) | reference peak (MB) | speed-up | agree |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['n']:,} × {r['n']:,} | {r['ours_s']} | {r['ours_peak_mb']} | {r['ref_s'] if r['ref_s'] is not None else '—'} | "
              f"{r['ref_peak_mb']}{'' if r['ref_s'] is not None else ' (estimate)'} | {str(r['speedup']) + '×' if r['speedup'] else '—'} | {r['agree']} |")
    if a.json:
        with open(a.json, 'w') as f: json.dump(dict(machine=machine, rows=rows), f, indent=1)


if __name__ == '__main__':
    main()
