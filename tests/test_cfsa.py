"Synthesis, alignment losses, CFSA training behaviour, checkpoints."
import pickle
import pytest
import torch

from zscmr.alignment import ModalityClassifier, cmca, cmmd, cmpm, dann_lambda, grad_reverse, modality_adversarial_loss
from zscmr.baselines import CCA, RidgeRegression
from zscmr.cfsa import CFSA, CFSAConfig
from zscmr.data import make_synthetic, split_dadn, split_random
from zscmr.synthesis import CoupledSynthesizer, Critic, SynthConfig, gradient_penalty, wgan_gp_critic_loss
from zscmr.train import load_checkpoint, save_checkpoint, seed_everything

TINY = dict(epochs=3, d_hidden=32, n_critic=2, n_syn=16, batch_size=32, eval_every=1, device='cpu')


@pytest.fixture(scope='module')
def syn():
    return make_synthetic(n_classes=8, n_per_class=40, seed=0)


def test_losses_vanish_on_identical_distributions_and_are_symmetric():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(50, 6, generator=g), torch.randn(50, 6, generator=g) * 2 + 1
    for f in (cmmd, cmca):
        assert float(f(a, a)) == pytest.approx(0, abs=1e-6)
        assert float(f(a, b)) == pytest.approx(float(f(b, a)), rel=1e-5)
        assert float(f(a, b)) > float(f(a, a + 0.01 * torch.randn(50, 6, generator=g)))


def test_cmpm_prefers_matching_classes():
    y = torch.arange(5).repeat(4)
    z = 5 * torch.eye(5)[y]
    assert float(cmpm(z, z, y, y)) < float(cmpm(z, z.roll(1, 1), y, y))


def test_gradient_reversal_flips_and_scales():
    x = torch.randn(4, 3, requires_grad=True)
    (grad_reverse(x, 2.0) * torch.arange(3.)).sum().backward()
    assert torch.equal(x.grad, -2.0 * torch.arange(3.).expand(4, 3))
    assert dann_lambda(0) == 0 and 0.99 < dann_lambda(1) < 1 and dann_lambda(0.3) < dann_lambda(0.6)


def test_modality_classifier_learns_while_features_are_pushed_apart_from_it():
    clf = ModalityClassifier(2)
    opt = torch.optim.SGD(clf.parameters(), lr=0.5)
    zi, zt = torch.randn(64, 2) + 2, torch.randn(64, 2) - 2
    first = float(modality_adversarial_loss(clf, zi, zt, 1.0).detach())
    for _ in range(50):
        opt.zero_grad(); modality_adversarial_loss(clf, zi, zt, 1.0).backward(); opt.step()
    assert float(modality_adversarial_loss(clf, zi, zt, 1.0).detach()) < first


def test_gradient_penalty_zero_for_unit_gradient_critic():
    D = Critic(3, 2, 4)
    D.net = torch.nn.Linear(5, 1, bias=False)
    with torch.no_grad(): D.net.weight.copy_(torch.tensor([[0.6, 0.8, 0.0, 1.0, -1.0]]))
    x, f, e = torch.randn(10, 3), torch.randn(10, 3), torch.randn(10, 2)
    assert float(gradient_penalty(D, x, f, e).detach()) == pytest.approx(0, abs=1e-6)
    loss, w = wgan_gp_critic_loss(D, x, f, e)
    assert float(loss.detach()) == pytest.approx(-float(w), abs=1e-5)


def test_coupled_generators_share_noise():
    s = CoupledSynthesizer(4, 3, 5, SynthConfig(d_hidden=8))
    torch.manual_seed(0); a = s.generate(torch.zeros(2, 5))
    torch.manual_seed(0); z = torch.randn(2, 5)
    assert torch.allclose(a[0], s.G_img(torch.zeros(2, 5), z)) and torch.allclose(a[1], s.G_txt(torch.zeros(2, 5), z))
    xi, xt, y = s.sample(torch.randn(3, 5), 4)
    assert xi.shape == (12, 4) and xt.shape == (12, 3) and y.tolist() == [0] * 4 + [1] * 4 + [2] * 4


@pytest.mark.parametrize('kw, msg', [
    (dict(alignment='coral'), "alignment: 'coral'"),
    (dict(epochs=0), 'epochs: expected a positive int'),
    (dict(batch_size='64'), 'batch_size: expected a positive int'),
])
def test_config_errors(kw, msg):
    with pytest.raises(ValueError, match=msg):
        CFSAConfig(**kw)


def test_config_from_dict_rejects_unknown_keys():
    with pytest.raises(ValueError, match=r"unknown keys \['lr'\]"):
        CFSAConfig.from_dict({'lr': 0.1})


def test_same_seed_same_numbers(syn):
    split = split_random(syn, 0.5, n_val=2, seed=0)
    a = CFSA(CFSAConfig(**TINY)).fit(syn, split, progress=False).evaluate(syn, split)
    b = CFSA(CFSAConfig(**TINY)).fit(syn, split, progress=False).evaluate(syn, split)
    assert a == b


def test_selection_uses_validation_and_refits(syn):
    split = split_random(syn, 0.5, n_val=2, seed=0)
    m = CFSA(CFSAConfig(**TINY)).fit(syn, split, progress=False)
    sel = [h for h in m.history if not h.get('refit')]
    ref = [h for h in m.history if h.get('refit')]
    assert all('val_avg' in h for h in sel) and len(ref) == m.best_epoch
    assert m.best_val == max(h['val_avg'] for h in sel)


def test_cfsa_learns_on_separable_synthetic_data():
    d = make_synthetic(n_classes=10, n_per_class=60, separation=4, seed=2)
    split = split_dadn(d, n_val=2, seed=0)
    r = CFSA(CFSAConfig(**(TINY | dict(epochs=15, d_hidden=64)))).fit(d, split, progress=False).evaluate(d, split)
    assert r['seen_avg'] > 0.8 and r['unseen_avg'] > 0.3      # chance is about 0.2


def test_non_finite_loss_stops_training_with_a_named_error(syn):
    import dataclasses
    huge = dataclasses.replace(syn, cls_emb=syn.cls_emb * 1e30)      # finite data whose squared loss overflows
    split = split_random(huge, 0.5, seed=0)
    with pytest.raises(FloatingPointError, match=r'CFSA, epoch 1: iteration 1: non-finite loss \w+=(inf|nan)'):
        CFSA(CFSAConfig(**TINY)).fit(huge, split, progress=False)


def test_checkpoint_round_trip(tmp_path, syn):
    split = split_random(syn, 0.5, n_val=2, seed=0)
    m = CFSA(CFSAConfig(**TINY)).fit(syn, split, progress=False)
    back = CFSA.load(m.save(tmp_path / 'm.pt'))
    assert torch.allclose(back.embed(syn.x_txt[:7], 'txt'), m.embed(syn.x_txt[:7], 'txt'), atol=1e-6)
    assert back.best_epoch == m.best_epoch and back.config == CFSAConfig(**TINY)
    assert not list(tmp_path.glob('*.tmp'))


class _Boom:
    "Unpickling this creates a marker file: a code-execution payload, made harmless."
    def __init__(self, path): self.path = path
    def __reduce__(self): return (open, (self.path, 'w'))


def test_malicious_checkpoint_does_not_run_code(tmp_path):
    marker = tmp_path / 'pwned'
    with open(tmp_path / 'evil.pt', 'wb') as f: pickle.dump({'kind': 'cfsa', 'x': _Boom(str(marker))}, f, protocol=2)
    with pytest.raises(ValueError, match='not a loadable zscmr checkpoint'):
        load_checkpoint(tmp_path / 'evil.pt')
    with pytest.raises(ValueError):
        CFSA.load(tmp_path / 'evil.pt')
    assert not marker.exists()
    with open(tmp_path / 'evil.pt', 'rb') as f: pickle.load(f)          # the payload is real: plain pickle runs it
    assert marker.exists()


def test_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='no such checkpoint'):
        load_checkpoint(tmp_path / 'none.pt')
    save_checkpoint({'kind': 'aeir'}, tmp_path / 'a.pt')
    with pytest.raises(ValueError, match='not a CFSA checkpoint'):
        CFSA.load(tmp_path / 'a.pt')


def test_embed_checks_input(syn):
    m = CFSA(CFSAConfig(**TINY)).fit(syn, split_random(syn, 0.5, seed=0), progress=False)
    with pytest.raises(ValueError, match=r'img features: expected \(n, 32\)'):
        m.embed(torch.ones(3, 5), 'img')
    with pytest.raises(ValueError, match="modality: expected 'img' or 'txt'"):
        m.embed(torch.ones(3, 32), 'audio')
    with pytest.raises(RuntimeError, match='call fit'):
        CFSA().embed(torch.ones(1, 1), 'img')


def test_baselines_choose_on_validation_and_score_above_chance(syn):
    split = split_dadn(syn, n_val=2, seed=1)
    for m in (RidgeRegression(), CCA()):
        r = m.fit(syn, split).evaluate(syn, split)
        assert set(m.val_scores) == set(type(m).grid)
        assert r['seen_avg'] > 0.5


def test_seed_everything_rejects_non_int():
    with pytest.raises(TypeError, match='seed'):
        seed_everything(1.5)
