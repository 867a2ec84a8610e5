"The AEIR studies of bench/studies.py: each builds, its hooks are the ones it names, and every variant trains a tiny AEIR."
import math, sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'bench'))
from studies import STUDIES, structure_changed                                  # noqa: E402
from zscmr.data import make_synthetic                                          # noqa: E402
from zscmr.experiments import Variant, build_model, run_transfer               # noqa: E402
from zscmr.transfer import class_disjoint, structure_loss, transfer_variants   # noqa: E402

TRANSFER = [n for n, make in STUDIES.items() if make(None).task == 'transfer']
TINY = dict(d_hidden=32, d_joint=16, batch_size=32, warmup_epochs=1, epochs=3)


@pytest.fixture(scope='module')
def toy():
    return class_disjoint(make_synthetic(n_classes=6, n_per_class=30, seed=0), source_classes=[0, 1, 2])


def test_the_transfer_studies_are_registered():
    assert {'transfer', 'transfer_wikipedia', 'transfer_lr_switch', 'transfer_shift', 'transfer_variants'} <= set(TRANSFER)


@pytest.mark.parametrize('name', TRANSFER)
def test_every_variant_trains(name, toy):
    for vname, v in STUDIES[name](None).variants.items():
        tiny = TINY | dict(source_epochs=1 if v.config.get('source_epochs', 1) else 0)
        model = build_model('transfer', 'AEIR', 0, Variant(config=v.config | tiny, callbacks=v.callbacks, losses=v.losses))
        r = run_transfer(model, toy)
        assert math.isfinite(r['rsum']), f'{name}, {vname}'


def test_lr_switch_divides_when_the_transfer_phase_starts():
    v = STUDIES['transfer_lr_switch'](None).variants['AEIR, encoder lr / 10 in the transfer phase']
    cb = v.callbacks[0]()
    assert (cb.epoch, cb.divisor) == (transfer_variants()['AEIR']['source_epochs'], 10)


def test_changed_structure_losses_keep_the_value_and_change_the_gradients():
    g = torch.Generator().manual_seed(0)
    z = [torch.randn(20, 8, generator=g, requires_grad=True) for _ in range(3)]
    assert torch.equal(structure_changed()(*z), structure_loss(*z))
    loss = structure_changed(target_only=True)(*z)
    assert torch.allclose(loss, structure_loss(*z))
    loss.backward()
    assert z[0].grad is not None and z[1].grad is None and z[2].grad is None    # the source embeddings get no gradient
