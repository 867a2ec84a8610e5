"""The baselines at deep-feature dimensions: how long ridge regression and CCA take to fit, whether CCA still finds
something where pairs are fewer than dimensions, and how far the closed-form CCA moves the committed CCA numbers.

* `speed`: random features with 2,000 seen-class training pairs, 4,096-d images and 300-d or 1,024-d texts (20 classes,
  DADN split, 2 validation classes, so the selection fits on 1,600 pairs). Times `fit` (choose the hyper-parameters
  on the validation classes, then refit on all seen classes) and one `fit_view` at a fixed setting, on 1 and 2 BLAS
  threads, best of `--repeat`; and one fit of the earlier iterative CCA (scikit-learn's NIPALS, 2 components) for
  comparison, stopped after `--old-cap` seconds.
* `accuracy`: a high-dimensional synthetic world (`make_synthetic`, 64 classes) where ridge regression is far above
  chance: unseen mAP of ridge, CCA, and CCA without a ridge (the classical CCA the library fitted before).
* `agreement`: every CCA record of the committed benchmark folders (`results/digits`, `results/digits_20_seeds` and,
  with `--wikipedia DIR`, `results/wikipedia`) re-run with the current CCA, next to the committed numbers.

Usage: python bench/bench_baselines.py [--parts speed accuracy agreement] [--wikipedia DIR] [--json bench/results/baselines_speed.json]
"""
import argparse, json, multiprocessing as mp, os, sys, time
from datetime import date
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from zscmr.baselines import CCA, RidgeRegression
from zscmr.data import CrossModalData, make_synthetic, split_dadn
from zscmr.train import cpu_model

BENCH = Path(__file__).resolve().parent


def deep_shaped(d_txt, n_seen_per_class=200, C=20, d_img=4096, d_emb=300, seed=0):
    "Random features: a class signal plus noise, 2,000 seen-class training pairs (10 seen classes), 50 test items per class."
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(C), n_seen_per_class + 50)
    train = np.tile(np.arange(n_seen_per_class + 50) < n_seen_per_class, C)
    E = rng.normal(size=(C, d_emb)).astype(np.float32)
    x_img = (E[y] @ rng.normal(size=(d_emb, d_img)) / d_emb**0.5 + 3 * rng.normal(size=(len(y), d_img))).astype(np.float32)
    x_txt = (E[y] @ rng.normal(size=(d_emb, d_txt)) / d_emb**0.5 + 3 * rng.normal(size=(len(y), d_txt))).astype(np.float32)
    return CrossModalData(x_img, x_txt, y, y, E, None, train, train, np.arange(len(y)))


def best_of(fn, repeat):
    out = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
    return min(out)


def _old_cca(xi, xt):
    from sklearn.cross_decomposition import CCA as SkCCA
    SkCCA(n_components=2, scale=False, max_iter=1000).fit(xi, xt)


def old_cca_seconds(data, split, cap):
    "Seconds of the earlier fit (scikit-learn's NIPALS, 2 components, on the standardised seen pairs), or None past `cap`."
    from zscmr.data import all_seen_view
    v = all_seen_view(data, split)
    p = v.txt2img >= 0
    xi, xt = v.x_img[v.txt2img[p]], v.x_txt[p]
    xi, xt = ((x - x.mean(0)) / (x.std(0) + 1e-3) for x in (xi, xt))
    proc = mp.get_context('fork').Process(target=_old_cca, args=(xi.numpy(), xt.numpy()))
    t = time.perf_counter(); proc.start(); proc.join(cap)
    if proc.is_alive(): proc.kill(); proc.join(); return None
    return time.perf_counter() - t


def speed(a):
    rows = []
    for d_txt in (300, 1024):
        data = deep_shaped(d_txt)
        split = split_dadn(data, n_val=2, seed=0)
        for threads in (1, 2):
            with threadpool_limits(threads):
                for name, make, fixed in (('ridge regression', RidgeRegression, RidgeRegression(10.0)), ('CCA', CCA, CCA(8, 1.0))):
                    from zscmr.data import all_seen_view
                    seen = all_seen_view(data, split)
                    m = make().fit(data, split)
                    row = dict(method=name, n_pairs=int((seen.txt2img >= 0).sum()), d_img=4096, d_txt=d_txt, threads=threads,
                               fit_s=best_of(lambda: make().fit(data, split), a.repeat),
                               fit_view_s=best_of(lambda: fixed.fit_view(seen), a.repeat),
                               chosen={m.param: getattr(m, m.param)} | ({'reg': m.reg_} if name == 'CCA' else {}),
                               unseen_avg=m.evaluate(data, split)['unseen_avg'])
                    row['load_average_1min'] = os.getloadavg()[0]
                    rows.append(row); print(json.dumps(row), flush=True)
                if a.old_cap > 0 and threads == 1:
                    s = old_cca_seconds(data, split, a.old_cap)
                    rows.append(dict(method='CCA, earlier iterative fit (scikit-learn NIPALS, 2 components)', n_pairs=2000,
                                     d_img=4096, d_txt=d_txt, threads=threads, fit_view_s=s, cap_s=a.old_cap,
                                     finished=s is not None))
                    print(json.dumps(rows[-1]), flush=True)
    return rows


WORLDS = {  # name → make_synthetic arguments (the class signal's strength set so that ridge is far from chance and from 1)
    'deep-feature shape (1,280-d images, 384-d texts)': dict(d_img=1280, d_txt=384, separation=0.3),
    '4,096-d images, 1,024-d texts': dict(d_img=4096, d_txt=1024, separation=0.2),
    'pairs just outnumber dimensions (240-d images, 76-d texts)': dict(d_img=240, d_txt=76, separation=0.6),
}


def accuracy(a):
    rows = []
    for world, dims in WORLDS.items():
        for seed in range(a.seeds):
            data = make_synthetic(n_classes=64, n_per_class=32, d_emb=16, seed=seed, **dims)
            split = split_dadn(data, n_val=4, seed=seed)
            from zscmr.data import zero_shot_views
            n = int((zero_shot_views(data, split)['train'].txt2img >= 0).sum())
            for name, make in (('ridge regression', RidgeRegression), ('CCA', CCA), ('CCA without a ridge (reg=0)', lambda: CCA(reg=0.0)),
                               ('CCA, ridge chosen on validation (reg=\'validation\')', lambda: CCA(reg='validation'))):
                m = make().fit(data, split)
                rows.append(dict(world=world, seed=seed, method=name, n_pairs_selection=n, **dims,
                                 chosen={m.param: getattr(m, m.param)} | ({'reg': m.reg_} if 'CCA' in name else {}),
                                 unseen_avg=m.evaluate(data, split)['unseen_avg']))
                print(json.dumps(rows[-1]), flush=True)
    return rows


def agreement(a):
    from zscmr.benchmark import benchmark_study
    from zscmr.experiments import run_job
    folders = ['digits', 'digits_20_seeds'] + (['wikipedia'] if a.wikipedia else [])
    rows = []
    for folder in folders:
        res = json.loads((BENCH / 'results' / folder / 'records.json').read_text())
        meta = res['meta']
        spec = dict(meta['spec'], **({'path': a.wikipedia} if 'path' in meta['spec'] else {}))
        study = benchmark_study(spec, methods=['CCA'], seeds=meta['seeds'], n_random=meta['study']['n_random'])
        for old in (r for r in res['records'] if r['method'] == 'CCA'):
            new = run_job(study, old['variant'], 'CCA', old['split'], old['seed'])
            rows.append(dict(folder=folder, split=old['split'], seed=old['seed'], cpu_then=old['cpu'],
                             chosen_then=old['chosen'], chosen_now=new['chosen'], **{f'{k}_{w}': r[k] for k in ('val_map', 'unseen_avg', 'seen_avg', 'gzsl_avg')
                                                                                        for w, r in (('then', old), ('now', new))}))
        print(folder, 'largest |unseen_avg change|:', max(abs(r['unseen_avg_now'] - r['unseen_avg_then']) for r in rows if r['folder'] == folder), flush=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--parts', nargs='+', default=['speed', 'accuracy', 'agreement'], choices=['speed', 'accuracy', 'agreement'])
    ap.add_argument('--wikipedia', default=None, help="the Wikipedia release's folder (for the agreement part)")
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--seeds', type=int, default=3, help='seeds of each synthetic world')
    ap.add_argument('--old-cap', type=float, default=120.0, help='seconds allowed to the earlier iterative CCA (0: skip)')
    ap.add_argument('--json', default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    path = Path(a.json) if a.json else None
    out = json.loads(path.read_text()) if path and path.exists() else {}     # a part not run keeps its earlier rows
    out |= dict(machine=f'{cpu_model()} CPU, {os.cpu_count()} cores', torch=torch.__version__, numpy=np.__version__)
    runs = out.setdefault('runs', {})
    for part in a.parts:
        before = os.getloadavg()
        out[part] = globals()[part](a)
        runs[part] = dict(date=str(date.today()), command='python bench/bench_baselines.py ' + ' '.join(argv or sys.argv[1:]),
                          load_average_before=before, load_average_after=os.getloadavg())
    if path: path.write_text(json.dumps(out, indent=1) + '\n')


if __name__ == '__main__':
    main()
