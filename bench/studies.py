"""Every study of zscmr, as declarative descriptions for the experiment runner (`zscmr.experiments`).
Each entry maps a study's name to a function of the Wikipedia folder (None where the study does not need it)
returning a `Study`. `python bench/sweep.py NAME` runs one; its results go to bench/results/NAME.json and the
experiment notebooks in nbs/experiments/ draw their tables from there."""
import dataclasses

from zscmr.experiments import Study, Variant
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


STUDIES = {'digits_cfsa_variants': digits_cfsa_variants}
WIKIPEDIA = set()                                     # the studies that need the Wikipedia folder


def wikipedia_needed(name: str) -> bool:
    "Whether study `name` needs the Wikipedia feature release."
    return name in WIKIPEDIA
