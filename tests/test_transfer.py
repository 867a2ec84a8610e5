"AEIR: transfer data, losses, training behaviour, checkpoints."
import dataclasses
import pytest
import torch

from zscmr.data import DataError, load_digits, make_synthetic
from zscmr.train import save_checkpoint
from zscmr.transfer import (AEIR, AEIRConfig, DomainDiscriminator, TransferData, class_disjoint, confusion_loss,
                            cross_dataset, discriminator_loss, structure_loss, vse_loss)

TINY = dict(epochs=2, source_epochs=1, d_hidden=32, d_joint=16, batch_size=32, device='cpu')


@pytest.fixture(scope='module')
def td():
    return class_disjoint(make_synthetic(n_classes=6, n_per_class=40, seed=0), source_classes=[0, 1, 2])


def test_scenarios_keep_domains_apart():
    d = load_digits()
    t = class_disjoint(d, seed=3)
    assert not set(t.source.y_img.tolist()) & set(t.target_test.y_img.tolist())
    assert t.target_train.train_img.all() and not t.target_test.train_img.any()
    x = cross_dataset(make_synthetic(seed=1), make_synthetic(seed=2))
    assert x.source.train_img.all() and not x.target_test.train_img.any()


def test_transfer_data_errors(td):
    with pytest.raises(DataError, match='target_train: no texts'):
        TransferData(td.source, td.target_train.select(range(td.target_train.n_img), []), td.target_test)
    other = make_synthetic(d_img=7, seed=4)
    with pytest.raises(DataError, match="target_train: img features are 7-d but the source's are 32-d"):
        cross_dataset(make_synthetic(seed=1), other)
    unpaired = dataclasses.replace(td.source, txt2img=None)
    with pytest.raises(DataError, match='source: no paired'):
        TransferData(unpaired, td.target_train, td.target_test)


def test_vse_loss_properties():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(16, 8, generator=g)
    assert float(vse_loss(a, a, margin=0.0, hardest=True)) == pytest.approx(0, abs=1e-6)   # cosine(a,a)=1 is maximal
    b = torch.randn(16, 8, generator=g)
    assert float(vse_loss(a, b, hardest=True)) <= float(vse_loss(a, b, hardest=False))
    assert float(vse_loss(a, b)) == pytest.approx(float(vse_loss(b, a)), rel=1e-5)          # symmetric in the two modalities


def test_structure_loss_zero_when_source_pairs_coincide_and_positive_otherwise():
    g = torch.Generator().manual_seed(1)
    s = torch.randn(30, 6, generator=g)
    t = torch.randn(12, 6, generator=g)
    assert float(structure_loss(t, s, s)) == pytest.approx(0, abs=1e-7)
    assert float(structure_loss(t, s, torch.randn(30, 6, generator=g))) > 0
    assert float(structure_loss(t, s, s, k=100)) == pytest.approx(0, abs=1e-7)              # k larger than the source


def test_discriminator_and_confusion_losses_are_label_flips():
    D = DomainDiscriminator(3)
    a, b = torch.randn(10, 3), torch.randn(10, 3)
    assert float(discriminator_loss(D, a, b).detach()) == pytest.approx(float(confusion_loss(D, b, a).detach()), rel=1e-6)


def test_fit_never_reads_target_pairing(td):
    shuffled = dataclasses.replace(td.target_train, txt2img=td.target_train.txt2img.flip(0))
    td2 = TransferData(td.source, shuffled, td.target_test)
    a = AEIR(AEIRConfig(**TINY)).fit(td, progress=False).evaluate(td)
    b = AEIR(AEIRConfig(**TINY)).fit(td2, progress=False).evaluate(td2)
    assert a == b


def test_oracle_does_read_target_pairing(td):
    shuffled = dataclasses.replace(td.target_train, txt2img=td.target_train.txt2img.flip(0))
    td2 = TransferData(td.source, shuffled, td.target_test)
    cfg = AEIRConfig(**TINY, paired_target=True)
    assert AEIR(cfg).fit(td, progress=False).evaluate(td) != AEIR(cfg).fit(td2, progress=False).evaluate(td2)


def test_same_seed_same_numbers_and_history(td):
    a, b = (AEIR(AEIRConfig(**TINY)).fit(td, progress=False) for _ in range(2))
    assert a.evaluate(td) == b.evaluate(td)
    assert len(a.history) == 2 and {'vse', 'adv', 'struct', 'acc_img', 'acc_txt'} <= set(a.history[1])


def test_source_phase_is_source_only_then_transfer_losses_start(td):
    "The first source_epochs of AEIR are, number for number, the source-only model it starts from."
    kw = TINY | dict(epochs=4, source_epochs=2)
    aeir = AEIR(AEIRConfig(**kw)).fit(td, progress=False).history
    alone = AEIR(AEIRConfig(**kw | dict(epochs=2, source_epochs=0, w_adv=0.0, w_struct=0.0))).fit(td, progress=False).history
    for h, g in zip(aeir[:2], alone):
        assert h['vse'] == g['vse'] and 'adv' not in h and 'struct' not in h
    assert {'adv', 'struct', 'acc_img'} <= set(aeir[2]) and aeir[2]['vse'] != aeir[1]['vse']


@pytest.mark.parametrize('kw, msg', [(dict(epochs=3, source_epochs=3), 'would never train'),
                                     (dict(epochs=3, source_epochs=4), 'expected 0..epochs'),
                                     (dict(epochs=3, source_epochs=-1), 'expected 0..epochs')])
def test_schedule_errors_name_the_problem(kw, msg):
    with pytest.raises(ValueError, match=msg): AEIRConfig(**kw)
    AEIRConfig(**kw | dict(source_epochs=kw['epochs'], w_adv=0.0, w_struct=0.0))   # source-only: no transfer phase needed


def test_grl_variant_trains(td):
    r = AEIR(AEIRConfig(**TINY, use_grl=True)).fit(td, progress=False).evaluate(td)
    assert r['n_i2t'] == td.target_test.n_img


def test_checkpoint_round_trip_and_kind(tmp_path, td):
    m = AEIR(AEIRConfig(**TINY)).fit(td, progress=False)
    back = AEIR.load(m.save(tmp_path / 'a.pt'))
    assert torch.allclose(back.embed(td.target_test.x_txt, 'txt'), m.embed(td.target_test.x_txt, 'txt'), atol=1e-6)
    save_checkpoint({'kind': 'cfsa'}, tmp_path / 'c.pt')
    with pytest.raises(ValueError, match='not an AEIR checkpoint'):
        AEIR.load(tmp_path / 'c.pt')


def test_checkpoint_from_before_the_source_phase_loads(tmp_path, td):
    "A checkpoint written before `source_epochs` existed (all epochs with every loss) loads as source_epochs=0."
    from zscmr.train import load_checkpoint
    m = AEIR(AEIRConfig(**TINY)).fit(td, progress=False)
    ck = load_checkpoint(m.save(tmp_path / 'a.pt'))
    del ck['config']['source_epochs']; ck['config']['epochs'] = 30
    back = AEIR.load(save_checkpoint(ck, tmp_path / 'old.pt'))
    assert back.config.source_epochs == 0 and back.config.epochs == 30
    assert torch.allclose(back.embed(td.target_test.x_img, 'img'), m.embed(td.target_test.x_img, 'img'), atol=1e-6)


def test_config_unknown_keys():
    with pytest.raises(ValueError, match=r"unknown keys \['margn'\]"):
        AEIRConfig.from_dict({'margn': 0.1})


def test_class_disjoint_multilabel_item_is_in_one_domain_at_most():
    "An item labelled with a source and a target class belongs to neither domain (the zero-shot views' rule), never to both."
    import numpy as np
    y = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 1, 0, 1]] * 2)
    train = [1] * 6 + [0] * 6
    from zscmr.data import CrossModalData
    d = CrossModalData(np.random.randn(12, 3), np.random.randn(12, 2), y, y, np.eye(4), train_img=train, train_txt=train,
                       txt2img=np.arange(12))
    t = class_disjoint(d, source_classes=[0, 1])
    src = {tuple(r) for r in t.source.y_img.int().tolist()}
    tgt = {tuple(r) for r in t.target_train.y_img.int().tolist()} | {tuple(r) for r in t.target_test.y_img.int().tolist()}
    assert not src & tgt
    assert (t.source.n_img, t.target_train.n_img, t.target_test.n_img) == (2, 2, 2)


@pytest.mark.parametrize('oracle', [False, True])
def test_no_pair_is_its_own_negative(td, oracle):
    "A batch of pairs for the triplet loss never holds the same pair twice (VSE++ visits each pair once an epoch)."
    batches = []
    def spy(z_img, z_txt, margin, hardest):
        batches.append(z_img.detach()); return vse_loss(z_img, z_txt, margin, hardest)
    cfg = AEIRConfig(**(TINY | dict(dropout=0.0, batch_size=len(td.source.x_img) // 2, paired_target=oracle)))
    AEIR(cfg, losses=dict(vse=spy)).fit(td, progress=False)
    assert batches and all(len(torch.unique(z, dim=0)) == len(z) for z in batches)
    if not oracle:                                                     # and no source pair twice in one epoch
        epoch = torch.cat(batches[:2])
        assert len(torch.unique(epoch, dim=0)) == len(epoch) == 2 * cfg.batch_size


def test_too_few_pairs_to_have_negatives_is_an_error(td):
    one = dataclasses.replace(td, source=td.source.select(torch.arange(1), torch.nonzero(td.source.txt2img == 0).flatten()))
    with pytest.raises(DataError, match='source: 1 image-text pair'): AEIR(AEIRConfig(**TINY)).fit(one, progress=False)
    tt = td.target_train
    unpaired = dataclasses.replace(td, target_train=dataclasses.replace(tt, txt2img=torch.full_like(tt.txt2img, -1)))
    with pytest.raises(DataError, match='target_train: 0 image-text pair'):
        AEIR(AEIRConfig(**TINY, paired_target=True)).fit(unpaired, progress=False)
