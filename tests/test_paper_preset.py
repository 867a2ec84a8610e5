"CFSAConfig.paper(): the JFSE code's settings, its networks, its loss terms, and a short run that trains."
import math

import pytest
import torch
import torch.nn as nn

from zscmr.cfsa import CFSA, CFSAConfig, JFSE_DIFFERENCES, JFSE_SETTINGS, _Nets
from zscmr.data import make_synthetic, split_dadn

# The JFSE authors' TensorFlow code, read setting by setting, in CFSAConfig's terms (chapter 04's table).
JFSE_CODE = dict(d_hidden=None, d_noise=None, epochs=500, batch_size=64, n_critic=5, lambda_gp=10.0, lr_gan=1e-4, lr_enc=1e-4,
                 beta1=0.5, dropout=0.0, act='relu', shared_noise=False, syn_classes='batch', w_syn=0.01, w_cycle=0.1,
                 reduction='mean', alignment='cmpm', w_align=1e-4, w_adv=0.02, syn_terms='separate', w_gen_adv=0.002,
                 clf_relu=False, eval_every=2)
FAST = dict(epochs=2, n_critic=2, batch_size=32, device='cpu')


@pytest.fixture(scope='module')
def syn():
    return make_synthetic(n_classes=8, n_per_class=30, seed=0)


def test_paper_preset_is_the_jfse_code():
    cfg = CFSAConfig.paper()
    assert {k: getattr(cfg, k) for k in JFSE_CODE} == JFSE_CODE == JFSE_SETTINGS
    assert CFSAConfig.paper(epochs=3).epochs == 3 and CFSAConfig.paper(epochs=3).w_align == 1e-4


def test_the_table_lists_every_difference_from_the_default():
    paper, default = CFSAConfig.paper(), CFSAConfig()
    differ = {k for k in JFSE_SETTINGS if getattr(paper, k) != getattr(default, k)}
    assert set(JFSE_DIFFERENCES) == differ and all(JFSE_DIFFERENCES[k].strip() for k in differ)


def test_default_config_keeps_the_earlier_behaviour():
    cfg = CFSAConfig()
    assert (cfg.act, cfg.syn_classes, cfg.reduction, cfg.syn_terms, cfg.w_gen_adv, cfg.clf_relu) == \
        ('leaky_relu', 'all', 'sum', 'joint', 0.0, True)


def test_paper_networks_have_the_jfse_layers():
    nets = _Nets(240, 76, 384, CFSAConfig.paper())
    kinds = lambda seq: [type(m) for m in seq]
    assert kinds(nets.enc_img.net) == [nn.Linear, nn.ReLU, nn.Dropout, nn.Linear] and nets.enc_img.net[2].p == 0
    assert nets.enc_img.net[0].out_features == nets.enc_txt.net[0].out_features == 240    # the larger feature size
    assert kinds(nets.synth.G_txt.net) == [nn.Linear, nn.ReLU, nn.Linear] and nets.synth.G_txt.net[0].out_features == 240
    assert kinds(nets.synth.D_img.net) == [nn.Linear, nn.LeakyReLU, nn.Linear]            # the critics keep LeakyReLU
    assert kinds(nets.clf.net) == [nn.Linear] * 3 and not nets.synth.cfg.shared_noise


@pytest.mark.parametrize('kw, msg', [(dict(act='tanh'), "act: 'tanh'"), (dict(reduction='avg'), "reduction: 'avg'"),
                                     (dict(syn_classes='seen'), "syn_classes: 'seen'"), (dict(syn_terms='both'), "syn_terms: 'both'"),
                                     (dict(w_gen_adv=-1.0), 'w_gen_adv'), (dict(clf_relu=1), 'clf_relu')])
def test_new_settings_refuse_bad_values(kw, msg):
    with pytest.raises(ValueError, match=msg): CFSAConfig(**kw)


def test_paper_preset_trains(syn):
    split = split_dadn(syn, n_val=2, seed=0)
    m = CFSA(CFSAConfig.paper(**FAST)).fit(syn, split, progress=False)
    assert len(m.history) >= 2 and all(math.isfinite(v) for h in m.history for v in h.values() if isinstance(v, float))
    r = m.evaluate(syn, split)
    assert 0 <= r['unseen_avg'] <= 1 and 0 <= r['seen_avg'] <= 1


def first_iteration(syn, epochs=1, **kw):
    "The loss record of the first epoch, of one iteration (the batch holds every pair), and the model after `epochs`."
    split = split_dadn(syn, n_val=0, seed=0)
    m = CFSA(CFSAConfig(epochs=epochs, d_hidden=16, n_critic=1, batch_size=10_000, refit=False, device='cpu', **kw))
    return m.fit(syn, split, progress=False).history[0], m


def test_mean_reduction_averages_over_the_embedding_dimensions(syn):
    (s, _), (m, _) = first_iteration(syn), first_iteration(syn, reduction='mean')
    d = syn.cls_emb.shape[1]
    assert m['real'] == pytest.approx(s['real'] / d, rel=1e-5) and m['cycle'] == pytest.approx(s['cycle'] / d, rel=1e-5)


def test_the_generators_modality_term_reaches_the_generators_not_the_critics(syn):
    # two epochs of one iteration, no dropout (no random draws in the encoders): the reversal weight is 0 in the first
    # (DANN's ramp) and 1 in the second, where the critics step before the generators
    (_, a), (_, b) = first_iteration(syn, epochs=2, dropout=0.0), first_iteration(syn, epochs=2, dropout=0.0, w_gen_adv=10.0)
    same = lambda p, q: all(torch.equal(x, y) for x, y in zip(p.parameters(), q.parameters()))
    assert same(a.nets.synth.D_img, b.nets.synth.D_img) and not same(a.nets.synth.G_img, b.nets.synth.G_img)


def test_batch_classes_synthesise_only_the_seen_classes(syn):
    seen_rows = []
    def regression(z, e):
        seen_rows.append(e.detach()); return ((z - e) ** 2).sum(1).mean()
    split = split_dadn(syn, n_val=0, seed=0)
    cfg = CFSAConfig(epochs=1, d_hidden=16, n_critic=1, refit=False, device='cpu')
    unseen = syn.cls_emb[torch.tensor(split.unseen)]
    hits = lambda rows: sum(int((torch.cdist(r, unseen) < 1e-6).any(1).sum()) for r in rows)
    for classes, expect_unseen in (('all', True), ('batch', False)):
        seen_rows.clear()
        CFSA(cfg, losses=dict(regression=regression), syn_classes=classes).fit(syn, split, progress=False)
        assert (hits(seen_rows) > 0) == expect_unseen, classes


def test_the_preset_study_has_the_runs_chapter_04_reads(preset='cfsa_paper_preset.json', default='digits_cfsa_variants.json'):
    import json, sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / 'bench'))
    from studies import ONE_DIFFERENCE, PAPER_VARIANTS
    pres, base = (json.loads((root / 'bench' / 'results' / n).read_text()) for n in (preset, default))
    assert pres['meta']['study']['name'] == preset[:-len('.json')]
    defaults = {r['seed']: r for r in base['records'] if r['variant'] == 'default'}
    for v, spec in pres['meta']['study']['variants'].items():
        want = (PAPER_VARIANTS | ONE_DIFFERENCE)[v].config
        assert spec['config'] == want, v
        if v in PAPER_VARIANTS: assert {k: want[k] for k in JFSE_SETTINGS if k not in ('epochs', 'lr_gan', 'lr_enc')} == \
                                       {k: x for k, x in JFSE_SETTINGS.items() if k not in ('epochs', 'lr_gan', 'lr_enc')}
        runs = [r for r in pres['records'] if r['variant'] == v]
        if v in PAPER_VARIANTS: assert sorted(r['seed'] for r in runs) == [0, 1, 2, 3, 4], v   # the one-setting runs: any seeds
        for r in runs:                       # paired with the default of the same seed, split and CPU model
            d = defaults[r['seed']]
            assert (r['method'], r['split'], r['cpu'], r['threads']) == (d['method'], d['split'], d['cpu'], d['threads'])
            assert r['unseen'] == d['unseen'] and r['val'] == d['val'] and 0 <= r['unseen_avg'] <= 1
