import os
from pathlib import Path
import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')
# A fixed, small number of torch threads, here and in the commands the tests start: on a busy machine the suite then
# slows down in proportion instead of oversubscribing the cores. ZSCMR_TEST_THREADS overrides it.
TEST_THREADS = os.environ.setdefault('ZSCMR_TEST_THREADS', '2')
os.environ.setdefault('OMP_NUM_THREADS', TEST_THREADS)
import torch  # noqa: E402  (after OMP_NUM_THREADS, which torch reads when it starts)
torch.set_num_threads(int(TEST_THREADS))
SHARED_DATA = Path(__file__).resolve().parents[1].parent / 'shared' / 'data'


@pytest.fixture
def shared_data():
    "The project's shared real data folder; tests that need it skip with a reason when it is absent."
    if not (SHARED_DATA / 'wikipedia_svcl').is_dir():
        from zscmr.data import WIKIPEDIA_SOURCE
        pytest.skip(f"the Wikipedia feature release is not in {SHARED_DATA / 'wikipedia_svcl'} (a fresh clone has no "
                    f"../shared). {WIKIPEDIA_SOURCE}")
    return SHARED_DATA
