"The one-command GPU benchmark (bench/gpu_bench.sh) runs rarely, on a GPU: rehearse it on CPU so that it cannot rot in between."
import os, shutil, subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which('bash') is None, reason='bench/gpu_bench.sh is a bash script')
def test_gpu_bench_rehearsal_on_cpu(tmp_path):
    env = dict(os.environ, DEVICE='cpu', QUICK='1', OUT=str(tmp_path))
    r = subprocess.run(['bash', str(ROOT/'bench/gpu_bench.sh')], env=env, capture_output=True, text=True, timeout=900)
    steps = [l for l in r.stdout.splitlines() if l.startswith('== ') and ': exit ' in l]
    assert len(steps) == 5, r.stdout[-3000:] + r.stderr[-3000:]
    assert all(': exit 0,' in l for l in steps), '\n'.join(steps) + '\n' + r.stdout[-3000:]
    for f in ('cfsa_timing_gpu.jsonl', 'demo.txt', 'transfer.json', 'nbdev_test.log'):
        assert (tmp_path/f).stat().st_size > 0, f
    assert len((tmp_path/'cfsa_timing_gpu.jsonl').read_text().splitlines()) == 2     # fp32 and bf16 autocast
