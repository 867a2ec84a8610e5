"""When does CFSA's synthesis pay? CFSA, its no-synthesis ablation, ridge regression and CCA, built and fitted exactly
as `zscmr bench` builds them (selection on the validation classes, then a refit on all seen classes), under DADN's
split, over two families of worlds:

* the embedded digits with either class embedding (`sentences`, the default, or hand-annotated visual `attributes`);
* `make_dial_world` with its dial `determined` (how much of a class's features its embedding determines) at several
  values, and optionally its second dial `novelty` (how far the unseen classes' embeddings lie from the seen ones).

Every run is one process-pool job with one torch thread; the results file is rewritten (atomically) after each run,
so an interrupted study keeps what it measured and `--resume` skips the runs already in the file.

Usage: python bench/synthesis_pays.py [--seeds 0 1 2 3 4] [--dials 0 0.25 0.5 0.75 1] [--novelty 0 2] [--per-class 20] [--classes 30]
                                      [--digits sentences attributes] [--jobs 2] [--resume]
                                      [--out bench/results/synthesis_pays.json]
"""
import argparse, json, os, shlex, sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import datetime, timezone
from pathlib import Path

METHODS = ('CFSA', 'ablation: no synthesis (MLP regression)', 'ridge regression (DeViSE-style)', 'CCA')
KEYS = ('unseen_i2t', 'unseen_t2i', 'unseen_avg', 'seen_avg', 'gzsl_avg')


def world_data(world: dict):
    "The dataset a world description names."
    from zscmr.data import load_digits, make_dial_world
    if world['kind'] == 'digits': return load_digits(cls_emb=world['cls_emb'])
    return make_dial_world(determined=world['determined'], novelty=world['novelty'], n_per_class=world['per_class'],
                           n_classes=world['classes'], seed=world['seed'])


def run_one(job) -> dict:
    "Fit one method on one world and seed; return its scores."
    import torch
    from zscmr.benchmark import benchmark_methods, benchmark_splits
    world, method, seed = job
    torch.set_num_threads(1)
    data = world_data(world)
    split = benchmark_splits(data, n_random=0)['dadn'](seed)          # DADN's split, 2 validation classes picked by the seed
    model = benchmark_methods()[method](seed)
    t0 = time.perf_counter()
    model.fit(data, split, progress=False)
    seconds = time.perf_counter() - t0
    report = model.evaluate(data, split)
    chosen = dict(epochs=model.best_epoch) if hasattr(model, 'best_epoch') else {model.param: getattr(model, model.param)}
    return dict(world=world_name(world), **{k: v for k, v in world.items() if k != 'seed'}, method=method, seed=seed,
                **{k: float(report[k]) for k in KEYS}, seconds=round(seconds, 2), chosen=chosen,
                unseen=split.unseen, val=split.val, n_classes=data.n_classes)


def world_name(world: dict) -> str:
    if world['kind'] == 'digits': return f"digits, {world['cls_emb']}"
    more = (f", {world['per_class']} pairs per class" if world['per_class'] != 20 else '') + \
           (f", {world['classes']} classes" if world['classes'] != 30 else '')
    return f"dial world, determined {world['determined']:g}, novelty {world['novelty']:g}{more}"


def worlds(args) -> list:
    "One description per (world, seed); a dial world's data depend on the seed, the digits' do not."
    out = []
    for seed in args.seeds:
        out += [(dict(kind='digits', cls_emb=e), seed) for e in args.digits]
        out += [(dict(kind='dial', determined=d, novelty=n, per_class=args.per_class, classes=args.classes,
                     seed=seed), seed)
                for n in args.novelty for d in args.dials]
    return out


def write(path: Path, meta: dict, records: list):
    "Rewrite the results file atomically."
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix='.tmp')
    with os.fdopen(fd, 'w') as f: json.dump(dict(meta=meta, records=records), f, indent=1)
    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    p.add_argument('--dials', type=float, nargs='*', default=[0.0, 0.25, 0.5, 0.75, 1.0])
    p.add_argument('--novelty', type=float, nargs='*', default=[0.0])
    p.add_argument('--per-class', type=int, default=20, help="pairs per class in the dial world (make_dial_world's n_per_class)")
    p.add_argument('--classes', type=int, default=30, help="classes in the dial world (make_dial_world's n_classes)")
    p.add_argument('--digits', nargs='*', default=['sentences', 'attributes'], choices=['sentences', 'attributes'])
    p.add_argument('--methods', nargs='+', default=list(METHODS), choices=list(METHODS))
    p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--resume', action='store_true', help='keep the runs already in --out and do the rest')
    p.add_argument('--out', default='bench/results/synthesis_pays.json')
    args = p.parse_args(argv)
    import torch
    from tqdm.auto import tqdm
    from zscmr.train import machine, versions, cpu_model
    out = Path(args.out)
    records = json.loads(out.read_text())['records'] if args.resume and out.exists() else []
    done = {(r['world'], r['method'], r['seed']) for r in records}
    jobs = [(w, m, s) for w, s in worlds(args) for m in args.methods if (world_name(w), m, s) not in done]
    torch.set_num_threads(1)
    meta = dict(command=shlex.join(['python', 'bench/synthesis_pays.py', *(argv if argv is not None else sys.argv[1:])]),
                date=datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'), machine=machine('cpu'), cpu=cpu_model(),
                versions=versions(), torch=torch.__version__, jobs=args.jobs, threads_per_fit=1, split='dadn, 2 validation classes',
                seeds=args.seeds, dials=args.dials, novelty=args.novelty, per_class=args.per_class, classes=args.classes, digits=args.digits, methods=args.methods,
                keys=list(KEYS), complete=False)
    t0 = time.perf_counter()
    write(out, meta, records)
    with ProcessPoolExecutor(args.jobs) as ex:
        futures = [ex.submit(run_one, j) for j in jobs]
        for f in tqdm(as_completed(futures), total=len(futures), desc='synthesis pays'):
            records.append(f.result())
            write(out, meta | dict(wall_seconds=round(time.perf_counter() - t0, 1)), records)
    write(out, meta | dict(wall_seconds=round(time.perf_counter() - t0, 1), complete=True), records)
    print(f'{len(records)} runs in {out}')


if __name__ == '__main__':
    main()
