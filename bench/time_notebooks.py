"""How long each lesson and tutorial takes under the notebook tests (`nbdev_test --path NB`, the test-size settings
that IN_TEST selects), on this machine's CPU: the run times the course page shows.

Usage: python bench/time_notebooks.py [--threads 1] [--out bench/results/notebook_times_cpu.json] [NB ...]
"""
import argparse, json, os, subprocess, time
from pathlib import Path

from zscmr.train import cpu_model

ROOT = Path(__file__).resolve().parents[1]
COURSE = ['00_data.ipynb', '00a_features.ipynb', '01_metrics.ipynb', '01a_train.ipynb', '01b_plotting.ipynb', '01c_results.ipynb',
          '02_synthesis.ipynb', '03_alignment.ipynb', '04_cfsa.ipynb', '05_baselines.ipynb', '06_transfer.ipynb',
          '06a_retriever.ipynb', '07_benchmarks.ipynb', '07a_experiments.ipynb', '08_cli.ipynb',
          'tutorials/zero_shot_in_five_minutes.ipynb', 'tutorials/transfer_without_pairs.ipynb',
          'tutorials/bring_your_own_features.ipynb', 'tutorials/cfsa_wikipedia_from_raw.ipynb']


def time_notebook(nb: str, threads: int) -> dict:
    "Wall seconds and exit status of `nbdev_test --path nb`, run from nbs/."
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    t = time.perf_counter()
    r = subprocess.run(['nbdev_test', '--path', nb], cwd=ROOT / 'nbs', env=env, capture_output=True, text=True)
    return dict(notebook=nb, seconds=round(time.perf_counter() - t, 1), ok=r.returncode == 0)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebooks', nargs='*', default=COURSE)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--out', default=str(ROOT / 'bench/results/notebook_times_cpu.json'))
    a = ap.parse_args()
    rows = []
    for nb in a.notebooks:
        rows.append(time_notebook(nb, a.threads)); print(rows[-1], flush=True)
    Path(a.out).write_text(json.dumps(dict(command='python bench/time_notebooks.py', cpu=f'{cpu_model()}, {os.cpu_count()} cores',
                                           threads=a.threads, date=time.strftime('%Y-%m-%d'), rows=rows), indent=1))
