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


# ---- AEIR (transfer): scenarios of the digits and Wikipedia, AEIR's variants, its switch to the transfer phase, forms of
# its adversarial loss, and changes of its structure loss.
import torch
import torch.nn.functional as F

from zscmr.train import ScaleLR
from zscmr.transfer import confusion_loss, discriminator_loss, domain_accuracy, transfer_variants

CLASS_DISJOINT_DIGITS = {'name': 'class-disjoint', 'source_classes': [0, 1, 2, 3, 4]}


def slant(s):
    "The digits, same classes in both domains, the target's images slanted `s` pixels per row (zscmr.transfer.shifted_images)."
    return {'name': 'slant', 'pixels_per_row': s}


SLANTS = (0, 0.5, 1, 1.5)
AEIR_VARIANTS = {k: Variant(config=v) for k, v in transfer_variants().items()} | {
    'source-only, trained as long as AEIR': Variant(config=dict(w_adv=0.0, w_struct=0.0, source_epochs=0))}


def named(f, name):
    "`f`, called `name` in the results file's description of the study."
    f.__qualname__ = f.__name__ = name
    return f


def transfer(wikipedia=None):
    return Study('transfer', 'transfer', 'digits', ('AEIR',), AEIR_VARIANTS, splits=(CLASS_DISJOINT_DIGITS,) + tuple(map(slant, SLANTS)),
                 description="AEIR (the authors' schedule: a source-only phase, then the transfer losses), its ablations, "
                 "source-only (also trained as long as AEIR) and the paired-target oracle on the digits, 5 seeds: class-disjoint "
                 "(source digits 0-4 with pairs, target 5-9 without), and the same classes with the target's images slanted "
                 "0, 0.5, 1 and 1.5 pixels per row (half of the training digits are the source, the other half the target).")


def transfer_wikipedia(wikipedia=None):
    return Study('transfer_wikipedia', 'transfer', {'name': 'wikipedia', 'path': wikipedia, 'preprocess': None}, ('AEIR',),
                 AEIR_VARIANTS, splits=({'name': 'class-disjoint', 'source_classes': [1, 3, 5, 7, 9]},), description=
                 "AEIR, its ablations, source-only and the oracle on the Wikipedia feature release (no preprocessing, as "
                 "the benchmark chose), 5 seeds: source = DADN's seen categories (odd ids) with pairs, target = its unseen "
                 "ones (even ids) without.")


def lr_divided_at(epoch, divisor):
    "A factory of the callback dividing the encoders' learning rate by `divisor` before epoch `epoch`."
    return named(lambda: ScaleLR(epoch, divisor), f'ScaleLR({epoch}, {divisor})')


def transfer_lr_switch(wikipedia=None):
    v = transfer_variants()
    return Study('transfer_lr_switch', 'transfer', 'digits', ('AEIR',), {
        'source-only': Variant(config=v['source-only']), 'AEIR': Variant(config=v['AEIR']),
        'AEIR, encoder lr / 10 in the transfer phase': Variant(config=v['AEIR'], callbacks=(lr_divided_at(v['AEIR']['source_epochs'], 10),))},
        splits=(CLASS_DISJOINT_DIGITS, slant(0.5), slant(1)), description=
        "One other form of AEIR's switch from the source phase to the transfer phase: the encoders' learning rate divided "
        "by ten when the transfer losses start, as fine-tuning recipes often do, against the library's form (the same rate "
        "throughout) and source-only; class-disjoint digits and slanted digits at 0.5 and 1 pixel per row, 5 seeds.")


# transfer_shift and transfer_variants train the transfer losses from the first epoch, for 30 epochs: the library's
# schedule when they were first measured (AEIRConfig now starts with a source-only phase, as the authors' code does).
JOINT_FROM_START = dict(epochs=30, source_epochs=0)
SOURCE_ONLY, ORACLE = dict(w_adv=0.0, w_struct=0.0), dict(paired_target=True, w_adv=0.0, w_struct=0.0)


def confusion_target_only(D, z_src, z_tgt):
    "ADDA's inverted label, on the target only: the source embeddings are left where the source loss puts them."
    b = D(z_tgt)
    return F.binary_cross_entropy_with_logits(b, torch.ones_like(b))


def confusion_uniform(D, z_src, z_tgt):
    "Domain confusion: cross-entropy of the discriminator's output against 1/2 on both domains."
    a, b = D(z_src), D(z_tgt)
    return F.binary_cross_entropy_with_logits(a, torch.full_like(a, .5)) + F.binary_cross_entropy_with_logits(b, torch.full_like(b, .5))


def joint(**config):
    "A variant with the transfer losses from the first epoch and the settings `config` (losses: replaced loss functions)."
    losses = config.pop('losses', {})
    return Variant(config=JOINT_FROM_START | config, losses=losses)


def transfer_shift(wikipedia=None):
    return Study('transfer_shift', 'transfer', 'digits', ('AEIR',), {
        'source-only': joint(**SOURCE_ONLY), 'structure-only': joint(w_adv=0.0),
        'AEIR (library: flipped labels, both domains)': joint(),
        'AEIR, flipped label on target only (ADDA)': joint(losses=dict(confusion=confusion_target_only)),
        'AEIR, domain confusion (towards 1/2)': joint(losses=dict(confusion=confusion_uniform)),
        'paired-target oracle': joint(**ORACLE)}, splits=tuple(map(slant, SLANTS)), description=
        "How strong a domain shift can AEIR's losses undo? Slanted digits from 0 to 1.5 pixels per row, 5 seeds: "
        "source-only, structure-only, AEIR with three forms of the encoders' adversarial loss (flipped labels on both "
        "domains, the library's; flipped label on the target only, ADDA; domain confusion, towards 1/2 on both) and the "
        "oracle, the transfer losses trained from the first epoch for 30 epochs (the library's earlier schedule).")


def structure_changed(teacher=False, target_only=False):
    """The structure loss with the intra-modal distribution as a fixed teacher (`teacher`) and/or gradients into the
    target embedding only (`target_only`)."""
    def loss(z_tgt, z_src_same, z_src_other, k=3, tau=0.1):
        t, a, b = (F.normalize(z, dim=1) for z in (z_tgt, z_src_same, z_src_other))
        if target_only: a, b = a.detach(), b.detach()
        s_same = t @ a.T
        top = s_same.topk(min(k, len(a)), dim=1).indices
        p = F.log_softmax(s_same.gather(1, top) / tau, dim=1)
        if teacher: p = p.detach()
        q = F.log_softmax((t @ b.T).gather(1, top) / tau, dim=1)
        return F.kl_div(q, p, log_target=True, reduction='batchmean')
    return named(loss, f'structure_loss(teacher={teacher}, target_only={target_only})')


def on_unit_sphere(f):
    "The discriminator function `f(D, z_src, z_tgt)` applied to L2-normalised embeddings."
    return named(lambda D, a, b: f(D, F.normalize(a, dim=1), F.normalize(b, dim=1)), f'on_unit_sphere({f.__name__})')


NORMED_DISC = dict(discriminator=on_unit_sphere(discriminator_loss), confusion=on_unit_sphere(confusion_loss),
                   domain_accuracy=on_unit_sphere(domain_accuracy))


def transfer_variants_study(wikipedia=None):
    return Study('transfer_variants', 'transfer', 'digits', ('AEIR',), {
        'source-only': joint(**SOURCE_ONLY), 'AEIR (library defaults)': joint(),
        'adversarial-only, w_adv 0.001': joint(w_struct=0.0, w_adv=0.001), 'adversarial-only, w_adv 0.01': joint(w_struct=0.0, w_adv=0.01),
        'adversarial-only, w_adv 0.3': joint(w_struct=0.0, w_adv=0.3), 'adversarial-only, gradient reversal': joint(w_struct=0.0, use_grl=True),
        'adversarial-only, normalised inputs, w_adv 0.03': joint(w_struct=0.0, w_adv=0.03, losses=NORMED_DISC),
        'structure-only, teacher detached': joint(w_adv=0.0, losses=dict(structure=structure_changed(teacher=True))),
        'structure-only, target-only gradient': joint(w_adv=0.0, losses=dict(structure=structure_changed(target_only=True))),
        'structure-only, target-only, tau 1, w 10': joint(w_adv=0.0, tau=1.0, w_struct=10.0, losses=dict(structure=structure_changed(target_only=True))),
        'paired-target oracle': joint(**ORACLE)}, splits=(CLASS_DISJOINT_DIGITS, slant(0.5)), seeds=(0, 1, 2), description=
        "What was tried to make AEIR's transfer losses pay on the digits, 3 seeds: class-disjoint digits and target images "
        "slanted 0.5 pixels per row; the adversarial weight, gradient reversal, discriminators on L2-normalised embeddings, "
        "the structure loss with a fixed teacher or gradients into the target only; the transfer losses trained from the "
        "first epoch for 30 epochs (the library's earlier schedule).")


STUDIES |= {'transfer': transfer, 'transfer_wikipedia': transfer_wikipedia, 'transfer_lr_switch': transfer_lr_switch,
            'transfer_shift': transfer_shift, 'transfer_variants': transfer_variants_study}
WIKIPEDIA |= {'transfer_wikipedia'}


def wikipedia_needed(name: str) -> bool:
    "Whether study `name` needs the Wikipedia feature release."
    return name in WIKIPEDIA
