"""One interface for every retriever: each of the five follows `Retriever`, round-trips through `load_retriever` with
identical embeddings, and a file that is not one of their checkpoints is refused with a reason."""
import inspect

import numpy as np
import pytest
import torch

from zscmr.baselines import CCA, RidgeRegression
from zscmr.cfsa import CFSA, CFSAConfig, MLPRegression
from zscmr.data import make_synthetic, split_dadn
from zscmr.retriever import RETRIEVERS, Retriever, load_retriever
from zscmr.train import save_checkpoint
from zscmr.transfer import AEIR, AEIRConfig, class_disjoint

TINY_CFSA = dict(epochs=2, d_hidden=16, n_critic=1, n_syn=16, batch_size=32, eval_every=1, device='cpu')
TINY_AEIR = dict(epochs=3, source_epochs=1, d_joint=8, d_hidden=16, batch_size=32, warmup_epochs=1, device='cpu')
MAKERS = {'CFSA': lambda: CFSA(**TINY_CFSA), 'MLPRegression': lambda: MLPRegression(**TINY_CFSA),
          'RidgeRegression': lambda: RidgeRegression(1.0), 'CCA': lambda: CCA(4), 'AEIR': lambda: AEIR(**TINY_AEIR)}


@pytest.fixture(scope='module')
def toy():
    d = make_synthetic(n_classes=8, n_per_class=30, seed=0)
    return d, split_dadn(d, n_val=2, seed=0)


def fitted(name, toy):
    data, split = toy
    m = MAKERS[name]()
    return m.fit(class_disjoint(data, seed=0), progress=False) if name == 'AEIR' else m.fit(data, split, progress=False)


def test_registry_names_the_five_classes():
    assert RETRIEVERS == {'cfsa': CFSA, 'mlpregression': MLPRegression, 'ridgeregression': RidgeRegression, 'cca': CCA, 'aeir': AEIR}


@pytest.mark.parametrize('name', MAKERS)
def test_each_is_a_retriever_with_the_common_signatures(name):
    m = MAKERS[name]()
    assert isinstance(m, Retriever)
    cls = type(m)
    load = inspect.signature(cls.load).parameters
    assert list(load) == ['path', 'device'] and load['device'].default == 'cpu'
    assert list(inspect.signature(cls.embed).parameters) == ['self', 'x', 'modality']
    assert list(inspect.signature(cls.save).parameters) == ['self', 'path']


def test_an_object_without_the_methods_is_not_a_retriever():
    class NoLoad:
        kind = 'x'
        def fit(self, *a): return self
        def embed(self, x, modality): return x
        def save(self, path): return path
    assert not isinstance(NoLoad(), Retriever)
    NoLoad.load = classmethod(lambda cls, path, device='cpu': cls())
    assert isinstance(NoLoad(), Retriever)


@pytest.mark.parametrize('name', MAKERS)
def test_round_trip_through_load_retriever_gives_identical_embeddings(name, toy, tmp_path):
    data = toy[0]
    m = fitted(name, toy)
    path = m.save(tmp_path / 'm.pt')
    assert path == tmp_path / 'm.pt' and not list(tmp_path.glob('*.tmp'))
    assert torch.load(path, weights_only=True)['kind'] == m.kind
    back = load_retriever(path)
    assert type(back) is type(m)
    for mod in ('img', 'txt'):
        x = getattr(data, f'x_{mod}')
        z = m.embed(x, mod)
        assert z.dtype == torch.float32 and z.device.type == 'cpu' and z.shape[0] == len(x)
        assert torch.equal(back.embed(x, mod), z)
        assert torch.equal(m.embed(x.numpy().astype(np.float64), mod), z)      # NumPy and tensors alike


def test_mlp_regression_is_cfsa_without_synthesis(toy):
    data, split = toy
    weights = lambda m: torch.cat([p.flatten() for p in m.nets.state_dict().values()])
    mlp = MLPRegression(CFSAConfig(**TINY_CFSA)).fit(data, split, progress=False)
    assert mlp.config.synthesis is False and mlp.nets.synth is None
    assert torch.equal(weights(mlp), weights(CFSA(**TINY_CFSA, synthesis=False).fit(data, split, progress=False)))
    with pytest.raises(ValueError, match='synthesis is always False'):
        MLPRegression(synthesis=True)


def test_benchmark_entry_is_the_same_configuration_as_before():
    from zscmr.benchmark import benchmark_methods
    m = benchmark_methods()['ablation: no synthesis (MLP regression)'](3)
    assert type(m) is MLPRegression and m.config == CFSAConfig(seed=3, synthesis=False)


def test_unknown_kind_is_refused(tmp_path):
    save_checkpoint(dict(kind='svm', w=torch.zeros(2)), tmp_path / 'svm.pt')
    with pytest.raises(ValueError, match=r"unknown retriever kind 'svm'; the known kinds are 'cfsa'"):
        load_retriever(tmp_path / 'svm.pt')


def test_files_that_are_not_model_checkpoints_are_refused(tmp_path):
    (tmp_path / 'notes.pt').write_text('not a checkpoint')
    with pytest.raises(ValueError, match='notes.pt: not a loadable zscmr checkpoint'):
        load_retriever(tmp_path / 'notes.pt')
    save_checkpoint(dict(w=torch.zeros(2)), tmp_path / 'nokind.pt')
    with pytest.raises(ValueError, match="nokind.pt: not a zscmr model checkpoint \\(no 'kind'"):
        load_retriever(tmp_path / 'nokind.pt')
    save_checkpoint([torch.zeros(2)], tmp_path / 'list.pt')
    with pytest.raises(ValueError, match='list.pt: not a zscmr model checkpoint'):
        load_retriever(tmp_path / 'list.pt')
    save_checkpoint(dict(kind='train_state', epoch=1), tmp_path / 'state.pt')
    with pytest.raises(ValueError, match='a training state .* not a model'):
        load_retriever(tmp_path / 'state.pt')
    with pytest.raises(FileNotFoundError, match='no such checkpoint'):
        load_retriever(tmp_path / 'absent.pt')


def test_eval_refuses_a_run_whose_model_is_of_another_kind(toy, tmp_path):
    from zscmr.cli import eval_run, train_run
    from zscmr.data import DataError, save_npz
    save_npz(toy[0], tmp_path / 'syn.npz')
    train_run('regression', tmp_path / 'syn.npz', 'npz', tmp_path / 'run', progress=False)
    assert eval_run(tmp_path / 'run')['unseen_avg'] > 0
    CCA(2).fit(*toy).save(tmp_path / 'run' / 'model.pt')
    with pytest.raises(DataError, match='holds a cca model, but run.json says regression'):
        eval_run(tmp_path / 'run')
