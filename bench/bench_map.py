"""Time zscmr's mAP@all against two reference loops, and against the time it takes just to sort the scores.

- `python`: the field's loop, written plainly as DADN's and DSCMR's evaluation code does it: SciPy cosine distances
  for the whole (query, gallery) matrix, a full argsort, then a Python loop over queries and over the ranked gallery.
- `numpy`: a per-query NumPy loop, what a careful user writes: scores by one matrix product per block of queries, then
  per query an argsort, the labels in ranked order and a cumulative sum.
- `sort`: `np.sort` of every row of the score matrix (values only, one block of queries at a time), with the scores
  computed beforehand and not timed. Any exact mAP@all that orders each query's gallery costs at least about this much,
  so it is the bound the other times are read against.

All get the same seeded embeddings (z-scored, then unit length: the library's default) and must agree to 1e-6. Each
measurement runs in a fresh subprocess (torch, OpenMP and OpenBLAS limited to `--threads`) that regenerates the data
and makes one small warm-up call, so timings and peak memory (growth of the process's peak resident set during the
call; on GPU, torch's peak allocated memory) are not disturbed by another method. Each time is the best of `--repeat`.

Usage: python bench/bench_map.py [--sizes 1000 5000 10000] [--threads 1 2] [--ref-max 10000] [--device cpu]
                                 [--dim 64] [--classes 5] [--repeat 3] [--json bench/results/map_speed.json]
"""
import argparse, datetime, json, os, resource, subprocess, sys, time

import numpy as np
import torch

from zscmr.metrics import mean_average_precision, normalize_embeddings
from zscmr.train import cpu_model


def python_loop_map(q, g, y_q, y_g):
    "The field's loop: cdist, argsort, Python loop over queries and ranks (ties: argsort order)."
    from scipy.spatial.distance import cdist
    order = cdist(q, g, 'cosine').argsort()
    res = []
    for i in range(order.shape[0]):
        p = r = 0.0
        for j, idx in enumerate(order[i], 1):
            if y_q[i] == y_g[idx]:
                r += 1
                p += r / j
        res.append(p / r if r > 0 else 0.0)
    return float(np.mean(res))


def numpy_loop_map(q, g, y_q, y_g, block=1000):
    "Per query: argsort the scores (best first), labels in ranked order, cumulative hits, AP."
    aps = np.zeros(len(q))
    for a in range(0, len(q), block):
        s = q[a:a + block] @ g.T
        for i, row in enumerate(s):
            rel = y_g[np.argsort(-row, kind='stable')] == y_q[a + i]
            hits = np.cumsum(rel)
            if hits[-1]: aps[a + i] = (hits[rel] / (np.flatnonzero(rel) + 1)).mean()
    return float(aps.mean())


def sort_seconds(q, g, block=1000):
    "Seconds spent in np.sort of every row of the score matrix, block by block (the scores are not timed)."
    total = 0.0
    for a in range(0, len(q), block):
        s = q[a:a + block] @ g.T
        t0 = time.perf_counter(); np.sort(s, axis=1); total += time.perf_counter() - t0
    return total


def make(n, dim, classes):
    "Seeded embeddings with a little class structure, so the mAP is above chance."
    rng = np.random.default_rng(n)
    y_q, y_g = rng.integers(0, classes, n), rng.integers(0, classes, n)
    q = (rng.normal(size=(n, dim)) + np.eye(classes, dim)[y_q]).astype(np.float32)
    g = (rng.normal(size=(n, dim)) + np.eye(classes, dim)[y_g]).astype(np.float32)
    return q, g, y_q, y_g


def _timed(fn, repeat):
    "Best time of `repeat` calls, the last call's value, and the growth of peak resident memory (MB)."
    base, best = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, float('inf')
    for _ in range(repeat):
        t0 = time.perf_counter(); value = fn(); best = min(best, time.perf_counter() - t0)
    return value, best, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024   # kB on Linux


def run_one(method, n, a):
    "Measure one method in this process; print one JSON line."
    torch.set_num_threads(a.threads)
    q, g, y_q, y_g = make(n, a.dim, a.classes)
    dev = torch.device(a.device)
    if method == 'zscmr':
        tq, tg, tyq, tyg = (torch.from_numpy(x).to(dev) for x in (q, g, y_q, y_g))
        mean_average_precision(tq[:200], tg[:2000], tyq[:200], tyg[:2000])      # warm-up: one-time start-up costs
        if dev.type == 'cuda': torch.cuda.synchronize(dev); torch.cuda.reset_peak_memory_stats(dev)
        def fn():
            m = mean_average_precision(tq, tg, tyq, tyg, normalize='zscore')
            if dev.type == 'cuda': torch.cuda.synchronize(dev)
            return m
        m, sec, peak = _timed(fn, a.repeat)
        if dev.type == 'cuda': peak = torch.cuda.max_memory_allocated(dev) / 2**20
        return print(json.dumps(dict(map=m, seconds=sec, peak_mb=peak)))
    zq, zg = (normalize_embeddings(torch.from_numpy(x)).numpy() for x in (q, g))
    if method == 'sort':
        sort_seconds(zq[:200], zg[:2000])
        return print(json.dumps(dict(map=None, seconds=min(sort_seconds(zq, zg) for _ in range(a.repeat)), peak_mb=None)))
    loop = dict(python=python_loop_map, numpy=numpy_loop_map)[method]
    loop(zq[:200].astype(np.float64), zg[:2000].astype(np.float64), y_q[:200], y_g[:2000])   # the same warm-up
    args = (zq.astype(np.float64), zg.astype(np.float64)) if method == 'python' else (zq, zg)
    m, sec, peak = _timed(lambda: loop(*args, y_q, y_g), 1 if method == 'python' else a.repeat)
    print(json.dumps(dict(map=m, seconds=sec, peak_mb=peak)))


def measure(method, a, n, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    args = ['--one', method, '--sizes', str(n), '--threads', str(threads), '--dim', str(a.dim), '--classes', str(a.classes),
            '--device', a.device, '--repeat', str(a.repeat)]
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_size(a, n, threads):
    "One row: every method at one size and thread count, checked for agreement."
    ours = measure('zscmr', a, n, threads)
    row = dict(n=n, threads=threads, map=ours['map'], zscmr_s=ours['seconds'], zscmr_peak_mb=ours['peak_mb'])
    if a.device != 'cpu': return row
    row['sort_s'] = measure('sort', a, n, threads)['seconds']
    for ref in ('numpy', 'python'):
        if ref == 'python' and n > a.ref_max: row |= {'python_s': None}; continue
        r = measure(ref, a, n, threads)
        assert abs(r['map'] - ours['map']) < 1e-6, f"mAP disagrees at n={n}: {ref} loop {r['map']}, zscmr {ours['map']}"
        row[f'{ref}_s'] = r['seconds']
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--sizes', type=int, nargs='+', default=[1000, 5000, 10000])
    ap.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    ap.add_argument('--ref-max', type=int, default=10000, help='largest size the pure-Python loop runs at')
    ap.add_argument('--dim', type=int, default=64)
    ap.add_argument('--classes', type=int, default=5)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--repeat', type=int, default=3, help='best of this many calls (the pure-Python loop runs once)')
    ap.add_argument('--json', help='also write the rows to this file')
    ap.add_argument('--one', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one: a.threads = a.threads[0]; return run_one(a.one, a.sizes[0], a)
    dev = torch.device(a.device)
    machine = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else f'{cpu_model()}, {os.cpu_count()} cores'
    print(f'machine: {machine}; torch {torch.__version__}, numpy {np.__version__}; d={a.dim}, {a.classes} classes', flush=True)
    from tqdm.auto import tqdm
    rows = [measure_size(a, n, t) for n in tqdm(a.sizes, desc='sizes') for t in a.threads]
    for r in rows: print(json.dumps(r))
    if a.json:
        meta = dict(machine=machine, torch=torch.__version__, numpy=np.__version__, dim=a.dim, classes=a.classes,
                    repeat=a.repeat, device=a.device, date=datetime.date.today().isoformat(),
                    command='python bench/bench_map.py ' + ' '.join(sys.argv[1:]))
        with open(a.json, 'w') as f: json.dump(meta | dict(rows=rows), f, indent=1)


if __name__ == '__main__':
    main()
