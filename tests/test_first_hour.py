"What a new user meets first: the demo's report folder, error lines, AEIR on their own .npz, config keys, figures."
import dataclasses, json

import numpy as np
import pytest
import torch

import zscmr.cli as cli
from zscmr.cfsa import CFSAConfig
from zscmr.cli import main
from zscmr.data import DataError, make_synthetic, read_domains, save_npz
from zscmr.transfer import AEIRConfig

TINY_AEIR = dict(epochs=4, source_epochs=2, d_joint=16, d_hidden=32, batch_size=32, warmup_epochs=1)


def old_report(folder):
    folder.mkdir()
    for name in ('report.md', 'config.json', 'pr_curves.png'): (folder / name).write_text(f'zscmr demo: earlier {name}')
    return {p.name: p.read_text() for p in folder.iterdir()}


@pytest.mark.parametrize('error, rc', [(RuntimeError("can't start new thread"), 2), (KeyboardInterrupt(), 130)])
def test_a_demo_that_fails_midway_leaves_the_previous_report(tmp_path, monkeypatch, capsys, error, rc):
    out = tmp_path / 'zscmr-demo'
    before = old_report(out)
    class Instant:                                                                   # a fast first stage that writes a checkpoint
        def fit(self, *a, **kw): pass
        def evaluate(self, *a): return {}
        def save(self, path): path.write_text('new checkpoint')
    monkeypatch.setattr(cli, '_zero_shot_models', lambda *a: {'ridge regression': Instant()})
    def fail(*a, **kw): raise error                                                  # then the failure, or Ctrl-C
    monkeypatch.setattr(cli, 'shifted_images', fail)
    assert main(['demo', '--out', str(out), '--force', '--device', 'cpu']) == rc
    assert {p.name: p.read_text() for p in out.iterdir()} == before                    # no new checkpoint beside the old report
    assert sorted(p.name for p in tmp_path.iterdir()) == ['zscmr-demo']                 # no .partial, no .lock left
    err = capsys.readouterr().err.strip().splitlines()[-1]
    if rc == 2: assert 'RuntimeError' in err and '--threads 1' in err and '--debug' in err, err


def test_a_demo_refuses_to_mix_with_an_earlier_report(tmp_path, monkeypatch, capsys):
    out = tmp_path / 'zscmr-demo'
    before = old_report(out)
    def never(*a, **kw): raise AssertionError('the demo started')
    monkeypatch.setattr(cli, 'load_dataset', never)
    assert main(['demo', '--out', str(out)]) == 2
    assert 'holds an earlier demo report; pass --force' in capsys.readouterr().err
    assert {p.name: p.read_text() for p in out.iterdir()} == before


def test_the_error_line_names_the_cause_and_debug_shows_the_traceback(monkeypatch, capsys):
    def boom(): raise RuntimeError('outer') from OSError('disk gone')
    monkeypatch.setattr(cli, 'info', boom)
    assert main(['info']) == 2
    err = capsys.readouterr().err
    assert 'RuntimeError: outer' in err and 'caused by OSError: disk gone' in err and 'boom' in err, err
    for argv in (['--debug', 'info'], ['info', '--debug']):
        with pytest.raises(RuntimeError): main(argv)
    monkeypatch.setenv('ZSCMR_DEBUG', '1')
    with pytest.raises(RuntimeError): main(['info'])
    with pytest.raises(SystemExit): main(['train', '--help'])
    assert 'ZSCMR_DEBUG=1' in capsys.readouterr().out


def test_own_errors_keep_their_plain_line(tmp_path, capsys):
    assert main(['eval', '--checkpoint', str(tmp_path / 'nothing')]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('zscmr: error: ') and 'FileNotFoundError' not in err and '--debug' not in err, err


@pytest.fixture
def domain_files(tmp_path):
    data = make_synthetic(n_classes=6, n_per_class=30, seed=0)
    target = np.arange(data.n_img) % 2 == 1                               # odd images (and their texts): the target domain
    dom = np.where(target, 'target', 'source')
    save_npz(data, tmp_path / 'dom.npz', domains=(dom, dom[data.txt2img.numpy()]))
    save_npz(data, tmp_path / 'plain.npz')
    (tmp_path / 'cfg.json').write_text(json.dumps(TINY_AEIR))
    return data, target, tmp_path


def test_aeir_trains_on_an_npz_with_domains(domain_files, capsys):
    data, target, d = domain_files
    args = ['--format', 'npz', '--config', str(d / 'cfg.json'), '--device', 'cpu']
    assert main(['train', 'aeir', '--data', str(d / 'dom.npz'), '--out', str(d / 'run'), *args]) == 0
    out = capsys.readouterr().out
    sc = json.loads((d / 'run' / 'run.json').read_text())['scenario']
    assert sc['kind'] == 'domains' and "scenario: the data's domains" in out
    assert sc['n_source'] == int((data.train_img & ~torch.from_numpy(target)).sum()) and sc['n_target_test'] == int((~data.train_img & torch.from_numpy(target)).sum())
    again = cli.eval_run(d / 'run')
    run = json.loads((d / 'run' / 'run.json').read_text())
    assert again['rsum'] == pytest.approx(run['metrics']['rsum'])
    assert main(['train', 'aeir', '--data', str(d / 'plain.npz'), '--out', str(d / 'run2'), *args]) == 0
    out = capsys.readouterr().out
    assert 'scenario: class-disjoint' in out and 'no domain_img/domain_txt' in out and 'source-only' in out
    assert main(['train', 'aeir', '--data', str(d / 'dom.npz'), '--out', str(d / 'run3'), '--source-classes', '0,1', *args]) == 2
    assert 'leave --source-classes out' in capsys.readouterr().err


def test_domain_arrays_are_checked(tmp_path):
    data = make_synthetic(n_classes=4, n_per_class=10, seed=0)
    dom = np.zeros(data.n_img, int)
    save_npz(data, tmp_path / 'one.npz', domains=(dom, dom))
    np.savez(tmp_path / 'half.npz', **dict(np.load(tmp_path / 'one.npz')) | {'domain_txt': np.zeros(3)})
    with pytest.raises(DataError, match=r'domain_txt: expected shape \(40,\)'): read_domains(tmp_path / 'half.npz')
    arrs = {k: v for k, v in np.load(tmp_path / 'one.npz').items() if k != 'domain_txt'}
    np.savez(tmp_path / 'only.npz', **arrs)
    with pytest.raises(DataError, match='has domain_img but not domain_txt'): read_domains(tmp_path / 'only.npz')
    flipped = np.where(np.arange(data.n_img) < 5, 1, 0)
    save_npz(data, tmp_path / 'cross.npz', domains=(flipped, 1 - flipped))
    with pytest.raises(DataError, match='in different domains'): cli.domain_split(data, *read_domains(tmp_path / 'cross.npz'))


@pytest.mark.parametrize('method, cls', [('cfsa', CFSAConfig), ('aeir', AEIRConfig), ('regression', cli.RidgeSettings), ('cca', cli.CCASettings)])
def test_print_config_lists_every_field_with_default_and_range(capsys, method, cls):
    assert main(['train', method, '--print-config']) == 0
    rows = {l.split()[0]: l for l in capsys.readouterr().out.splitlines()[2:]}
    assert list(rows) == [f.name for f in dataclasses.fields(cls)]
    for f in dataclasses.fields(cls):
        assert json.dumps(f.default) in rows[f.name].split(None, 2)[1], rows[f.name]
    if method == 'aeir': assert 'float (0, inf)' in rows['lr'] and 'true or false' in rows['use_grl']


def test_train_still_needs_data_format_and_out(capsys):
    with pytest.raises(SystemExit): main(['train', 'cca', '--data', 'x.npz'])
    assert 'the following arguments are required: --format, --out' in capsys.readouterr().err


def test_a_shape_error_names_the_files_rows(tmp_path, capsys):
    save_npz(make_synthetic(n_classes=8, n_per_class=20, seed=0), tmp_path / 'a.npz')
    save_npz(make_synthetic(n_classes=8, n_per_class=20, d_img=16, seed=0), tmp_path / 'b.npz')
    assert main(['train', 'regression', '--data', str(tmp_path / 'a.npz'), '--format', 'npz', '--out', str(tmp_path / 'r')]) == 0
    assert main(['eval', '--checkpoint', str(tmp_path / 'r'), '--data', str(tmp_path / 'b.npz'), '--format', 'npz']) == 2
    err = capsys.readouterr().err
    assert 'b.npz: its image features are (160, 16)' in err and 'takes 32-d' in err, err


def test_the_wikipedia_source_is_named(tmp_path, capsys):
    from zscmr.data import load_wikipedia
    with pytest.raises(FileNotFoundError, match='svcl.ucsd.edu/projects/crossmodal'): load_wikipedia(tmp_path)
    assert main(['bench', 'wikipedia', '--out', str(tmp_path / 'b')]) == 2
    assert 'svcl.ucsd.edu/projects/crossmodal' in capsys.readouterr().err
    assert not (tmp_path / 'b').exists()                                  # a refused benchmark leaves no empty folder


def test_busy_note(monkeypatch):
    monkeypatch.setattr(cli.os, 'cpu_count', lambda: 2)
    monkeypatch.setattr(cli.os, 'getloadavg', lambda: (6.0, 6.0, 6.0))
    assert '--threads 1' in cli.busy_note(2) and 'load average 6.0 on 2 cores' in cli.busy_note(2)
    monkeypatch.setattr(cli.os, 'getloadavg', lambda: (0.3, 0.3, 0.3))
    assert cli.busy_note(2) is None


def test_history_panels_have_y_labels():
    from zscmr.plotting import plot_history
    h = [dict(epoch=1, vse=3.0, acc_img=0.6, val_avg=0.3), dict(epoch=2, vse=2.0, acc_img=0.5, val_avg=0.4)]
    assert plot_history(h, ('vse',)).get_ylabel() == 'loss'
    assert plot_history(h, ('acc_img',)).get_ylabel() == 'accuracy'
    assert plot_history(h, ('val_avg',), ylabel='mAP').get_ylabel() == 'mAP'


def test_demo_figures(tmp_path, monkeypatch):
    "The PR plot shows CCA too, and AEIR's losses get a panel each (their scales differ), every panel labelled."
    import matplotlib.pyplot as plt
    shown, saved = [], {}
    monkeypatch.setattr(cli, 'plot_pr_curves', lambda models, *a: shown.extend(models) or plt.subplots()[1])
    monkeypatch.setattr(plt.Figure, 'savefig', lambda fig, path, **kw: saved.setdefault(path.name, fig))
    hist = [dict(epoch=e, vse=20.0 / e, adv=1.4, struct=0.01, acc_img=0.5, acc_txt=0.5, critic=1.0, generator=1.0, val_avg=0.3)
            for e in (1, 2)]
    cfsa, aeir = (type('M', (), dict(history=hist, best_epoch=2))() for _ in range(2))
    cli._save_demo_plots(tmp_path, {'CFSA': 0, 'ridge regression': 0, 'CCA': 0}, None, None, cfsa, aeir)
    assert shown == ['CFSA', 'ridge regression', 'CCA']
    axes = [a for a in saved['aeir_training.png'].axes if a.lines]
    assert len(axes) == 4 and all(a.get_ylabel() for a in axes)
    assert all(a.get_ylabel() for a in saved['cfsa_training.png'].axes)


def test_the_install_cell_gives_its_local_equivalent_outside_colab(capsys):
    import runpy, sys
    from pathlib import Path
    sync = runpy.run_path(str(Path(__file__).resolve().parents[1] / 'tools' / 'sync_colab_cells.py'))
    cfg = sync['settings']()
    assert 'google.colab' not in sys.modules
    exec(sync['install_source'](cfg), {})
    out = capsys.readouterr().out
    assert "Not on Colab" in out and f"pip install '{sync['install_spec'](cfg)}'" in out and "pip install -e '.[nb,embed]'" in out
