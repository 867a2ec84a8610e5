"bench/bench_cfsa.py's operation count: scaled from one epoch per phase, it must equal a count over a whole fit."
import dataclasses, importlib.util, sys
from pathlib import Path

import numpy as np
import pytest
import torch

from zscmr.cfsa import CFSA, CFSAConfig
from zscmr.data import CrossModalData, split_dadn

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope='module')
def bench():
    spec = importlib.util.spec_from_file_location('bench_cfsa', ROOT/'bench/bench_cfsa.py')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod


def small_data(seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, 400)
    E = rng.normal(size=(10, 12)).astype(np.float32)
    x_img = (E[y] @ rng.normal(size=(12, 40)) + rng.normal(size=(400, 40))).astype(np.float32)
    x_txt = (E[y] @ rng.normal(size=(12, 20)) + rng.normal(size=(400, 20))).astype(np.float32)
    train = np.arange(400) < 300
    return CrossModalData(x_img, x_txt, y, y, E, None, train, train, np.arange(400))


@pytest.mark.parametrize('epochs,every', [(3, 2), (4, 2), (3, 1)])
def test_fit_flops_matches_a_count_over_the_whole_fit(bench, epochs, every):
    data = small_data(); split = split_dadn(data, n_val=2, seed=0)
    cfg = CFSAConfig(epochs=epochs, eval_every=every, d_hidden=16, batch_size=32, n_syn=16, device='cpu')
    m = CFSA(cfg)
    whole = bench.count_flops(lambda: m.fit(data, split, progress=False))
    assert whole > 0
    assert bench.fit_flops(data, split, cfg, m.best_epoch) == whole


def test_gemm_rate_is_positive_and_finite(bench):
    r = bench.gemm_gflops(torch.device('cpu'), torch.float32, n=64, reps=2)
    assert 0 < r < float('inf')
