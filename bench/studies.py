"""Every study of zscmr, as declarative descriptions for the experiment runner (`zscmr.experiments`).
Each entry maps a study's name to a function of the Wikipedia folder (None where the study does not need it)
returning a `Study`. `python bench/sweep.py NAME` runs one; its results go to bench/results/NAME.json and the
experiment notebooks in nbs/experiments/ draw their tables from there."""
import dataclasses

from zscmr.experiments import RUN_SEED, Study, Variant
from zscmr.train import EMA


def centre_class_embeddings(data):
    """Subtract the mean class embedding (all classes: class embeddings, unlike features, are given for unseen classes in
    zero-shot learning) and rescale each row to unit length. The digits' descriptions share most of their meaning
    (mean pairwise cosine 0.67), so the raw targets and the generators' conditions are mostly one common vector."""
    E = data.cls_emb - data.cls_emb.mean(0)
    return dataclasses.replace(data, cls_emb=E / E.norm(dim=1, keepdim=True))


def encoder_ema(beta):
    "A factory of Polyak averaging of the encoders' weights with decay `beta`."
    def make(): return EMA(beta)
    make.__qualname__ = f'EMA({beta})'
    return make


CFSA_DIGITS_VARIANTS = {
    'default': Variant(), 'w_syn 0.3': Variant(config=dict(w_syn=0.3)), 'w_syn 3': Variant(config=dict(w_syn=3.0)),
    'n_syn 256': Variant(config=dict(n_syn=256)), 'w_cycle 1': Variant(config=dict(w_cycle=1.0)),
    'dropout 0.5': Variant(config=dict(dropout=0.5)), 'lr 3e-4, 80 epochs': Variant(config=dict(lr_gan=3e-4, lr_enc=3e-4, epochs=80)),
    'd_hidden 256': Variant(config=dict(d_hidden=256)), 'amp (bfloat16)': Variant(config=dict(amp=True)),
    'encoder EMA 0.95': Variant(callbacks=(encoder_ema(0.95),)), 'encoder EMA 0.99': Variant(callbacks=(encoder_ema(0.99),)),
    'centred class embeddings': Variant(data=centre_class_embeddings), 'w_syn 0.01 (JFSE)': Variant(config=dict(w_syn=0.01)),
    'd_hidden 256 with amp': Variant(config=dict(d_hidden=256, amp=True))}


def digits_cfsa_variants(wikipedia=None):
    return Study('digits_cfsa_variants', 'zero-shot', 'digits', ('CFSA',), CFSA_DIGITS_VARIANTS, description=
                 "CFSA variants on the digits' DADN split, 5 seeds (the seed also picks the 2 validation classes): does any "
                 "setting beat the defaults on the validation classes? 'amp (bfloat16)' and 'd_hidden 256 with amp' are "
                 "checks of the speed options, not tuning candidates.")


SELECTION_METHODS = ('CFSA', 'ridge regression (DeViSE-style)', 'CCA')
SELECTION_VARIANTS = {'chosen on validation': Variant(),                  # the library's fit: two held-out seen classes
                      'chosen on test': Variant(select_on='test', config=dict(eval_every=1))}   # the JFSE code's rule


def selection_on_test(wikipedia=None):
    return Study('selection_on_test', 'zero-shot', 'digits', SELECTION_METHODS, SELECTION_VARIANTS, description=
                 "What choosing the epoch (CFSA, every epoch evaluated) or hyper-parameter (ridge's alpha, CCA's size) on the "
                 "unseen test classes, as the JFSE code does, adds over choosing on two held-out seen classes; digits, DADN "
                 "split, 5 seeds. The test-chosen number uses the test labels: an upper bound, not a result.")


def selection_on_test_wikipedia(wikipedia=None):
    return Study('selection_on_test_wikipedia', 'zero-shot', {'name': 'wikipedia', 'path': wikipedia, 'preprocess': None},
                 SELECTION_METHODS, SELECTION_VARIANTS, description=
                 "selection_on_test on Wikipedia's feature release (raw histograms, as validation chose).")


def dial_world(determined, novelty=0.0, n_per_class=20, n_classes=30):
    "A dial world's name and dataset spec (`make_dial_world`, a new world for each run seed), as the synthesis study names them."
    more = (f', {n_per_class} pairs per class' if n_per_class != 20 else '') + (f', {n_classes} classes' if n_classes != 30 else '')
    return (f'dial world, determined {determined:g}, novelty {novelty:g}{more}',
            Variant(dataset=dict(name='dial', determined=determined, novelty=novelty, n_per_class=n_per_class,
                                 n_classes=n_classes, seed=RUN_SEED)))


SYNTHESIS_METHODS = ('CFSA', 'ablation: no synthesis (MLP regression)', 'ridge regression (DeViSE-style)', 'CCA')
SYNTHESIS_DESCRIPTION = ("When does CFSA's synthesis pay? CFSA, its no-synthesis ablation, ridge regression and CCA "
                         "under DADN's split, 5 seeds, on {}.")


def synthesis_pays(wikipedia=None):
    worlds = {f'digits, {e}': Variant(dataset=dict(name='digits', cls_emb=e)) for e in ('sentences', 'attributes')}
    worlds |= dict(dial_world(d, n) for n in (0.0, 2.0) for d in (0.0, 0.25, 0.5, 0.75, 1.0))
    return Study('synthesis_pays', 'zero-shot', 'digits', SYNTHESIS_METHODS, worlds, description=SYNTHESIS_DESCRIPTION.format(
        "the digits with either class embedding (sentences, hand-annotated visual attributes) and dial worlds "
        "(make_dial_world: `determined`, how much of a class's features its embedding determines; `novelty`, how far "
        "the unseen classes' embeddings lie from the seen ones)"))


def synthesis_pays_more_pairs(wikipedia=None):
    return Study('synthesis_pays_more_pairs', 'zero-shot', 'digits', SYNTHESIS_METHODS,
                 dict(dial_world(d, n_per_class=80) for d in (0.5, 1.0)),
                 description=SYNTHESIS_DESCRIPTION.format('dial worlds with 80 pairs per class'))


def synthesis_pays_most_pairs(wikipedia=None):
    return Study('synthesis_pays_most_pairs', 'zero-shot', 'digits', SYNTHESIS_METHODS,
                 dict(dial_world(d, n_per_class=160) for d in (0.0, 0.5, 1.0)),
                 description=SYNTHESIS_DESCRIPTION.format('dial worlds with 160 pairs per class'))


def synthesis_pays_more_classes(wikipedia=None):
    return Study('synthesis_pays_more_classes', 'zero-shot', 'digits', SYNTHESIS_METHODS,
                 dict(dial_world(d, n_classes=90) for d in (0.5, 1.0)),
                 description=SYNTHESIS_DESCRIPTION.format('dial worlds with 90 classes'))


STUDIES = {'digits_cfsa_variants': digits_cfsa_variants}
STUDIES |= {'selection_on_test': selection_on_test, 'selection_on_test_wikipedia': selection_on_test_wikipedia,
            'synthesis_pays': synthesis_pays, 'synthesis_pays_more_pairs': synthesis_pays_more_pairs,
            'synthesis_pays_most_pairs': synthesis_pays_most_pairs, 'synthesis_pays_more_classes': synthesis_pays_more_classes}
WIKIPEDIA = set()                                     # the studies that need the Wikipedia folder
WIKIPEDIA |= {'selection_on_test_wikipedia'}


def wikipedia_needed(name: str) -> bool:
    "Whether study `name` needs the Wikipedia feature release."
    return name in WIKIPEDIA
