"""Run a named study of bench/studies.py with the experiment runner (zscmr.experiments) and merge its records into
bench/results/NAME.json (one schema for every study: `meta` and one flat record per run).

Usage: python bench/sweep.py NAME [--seeds 0 1 2] [--variants V ...] [--methods M ...] [--jobs 2] [--device cpu|cuda]
                             [--wikipedia DIR] [--out FILE]
       python bench/sweep.py --list
A record replaces an earlier one of the same variant, method, split and seed on the same CPU model and device.
"""
import argparse, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from studies import STUDIES, wikipedia_needed                # noqa: E402  (the studies live beside this script)
from zscmr.experiments import check_results_file, run_study, save_results


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
    try: check_results_file(out)                              # refused now, not after hours of training
    except ValueError as e: ap.error(f'{e} (--out FILE)')
    study = STUDIES[a.name](a.wikipedia)
    results = run_study(study, a.seeds, a.variants, a.methods, jobs=a.jobs, device=a.device)
    out = save_results(results, out)
    print(f'{len(results["records"])} runs in {results["meta"]["wall_seconds"]:.0f} s → {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
