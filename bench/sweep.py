"""Run a named study of bench/studies.py with the experiment runner (zscmr.experiments) and merge its records into
bench/results/NAME.json (one schema for every study: `meta` and one flat record per run).

Usage: python bench/sweep.py NAME [--seeds 0 1 2] [--variants V ...] [--methods M ...] [--jobs 2] [--device cpu|cuda]
                             [--wikipedia DIR] [--out FILE]
       python bench/sweep.py --list
A record replaces an earlier one of the same variant, method, split and seed on the same CPU model and device. Each
record is merged into the file as soon as its job finishes (a crash or Ctrl-C keeps what finished); a file of another
study, or of the wrong shape, is refused before any training.
"""
import argparse, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from studies import STUDIES, wikipedia_needed                # noqa: E402  (the studies live beside this script)
from zscmr.experiments import check_results_file, run_study
from zscmr.train import pick_device


def check_arguments(a, study):
    "Every argument checked before training: a `ValueError` naming the first bad one."
    for name, given, known in (('variants', a.variants, study.variants), ('methods', a.methods, study.methods)):
        unknown = [g for g in given or [] if g not in known]
        if unknown: raise ValueError(f"--{name}: unknown {unknown}; known: {list(known)}")
    bad = [s for s in a.seeds or [] if not 0 <= s < 2**63]
    if bad: raise ValueError(f"--seeds: expected ints in [0, 2**63), got {bad[0]}")
    if a.jobs < 1: raise ValueError(f"--jobs: expected 1 or more, got {a.jobs}")
    if a.device is not None:
        try: pick_device(a.device)
        except (RuntimeError, ValueError) as e: raise ValueError(f"--device: {a.device!r}: {str(e).splitlines()[0]}") from None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('name', nargs='?', help='a study of bench/studies.py (--list shows them)')
    ap.add_argument('--list', action='store_true', help='list the studies and exit')
    ap.add_argument('--seeds', type=int, nargs='+')
    ap.add_argument('--variants', nargs='+')
    ap.add_argument('--methods', nargs='+')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--device', help='cpu or cuda for the trained models (default: cpu)')
    ap.add_argument('--wikipedia', metavar='DIR', help="the Wikipedia feature release's folder (studies on Wikipedia need it)")
    ap.add_argument('--out', help='default: bench/results/NAME.json')
    a = ap.parse_args(argv)
    if a.list or not a.name:
        for name, make in STUDIES.items(): print(f'{name}: {make(None).description}')
        return 0
    if a.name not in STUDIES: ap.error(f'unknown study {a.name!r}; known: {list(STUDIES)}')
    if wikipedia_needed(a.name) and not a.wikipedia: ap.error(f'{a.name}: needs --wikipedia DIR')
    out = Path(a.out or Path(__file__).parent/'results'/f'{a.name}.json')
    study = STUDIES[a.name](a.wikipedia)
    try:                                                      # refused now, not after hours of training
        check_arguments(a, study)
        check_results_file(out, study)
    except ValueError as e: ap.error(f'{e}' + (' (--out FILE)' if str(out) in str(e) else ''))
    results = run_study(study, a.seeds, a.variants, a.methods, jobs=a.jobs, device=a.device, path=out)
    print(f'{len(results["records"])} runs in {results["meta"]["wall_seconds"]:.0f} s → {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
