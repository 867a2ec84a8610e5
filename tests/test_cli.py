"The `zscmr` command, resumable training, interruption and bad input, end to end."
import json, os, signal, subprocess, sys, time

import numpy as np
import pytest
import torch

from zscmr.cfsa import CFSA, CFSAConfig
from zscmr.cli import eval_run, main, train_run
from zscmr.data import make_synthetic, save_npz, split_dadn
from zscmr.train import load_checkpoint
from zscmr.transfer import AEIR, AEIRConfig, class_disjoint

TINY_CFSA = dict(epochs=4, d_hidden=32, n_critic=2, n_syn=16, batch_size=32, eval_every=1)
TINY_AEIR = dict(epochs=4, source_epochs=2, d_joint=16, d_hidden=32, batch_size=32, warmup_epochs=1)


@pytest.fixture(scope='module')
def data_file(tmp_path_factory):
    p = tmp_path_factory.mktemp('data') / 'syn.npz'
    save_npz(make_synthetic(n_classes=8, n_per_class=40, seed=0), p)
    return p


def write(path, obj):
    path.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)
    return path


@pytest.mark.parametrize('method, cfg', [('regression', {}), ('cca', {'n_components': 4}),
                                         ('cfsa', TINY_CFSA), ('aeir', TINY_AEIR)])
def test_train_then_eval_gives_the_same_metrics(tmp_path, data_file, capsys, method, cfg):
    rc = main(['train', method, '--data', str(data_file), '--format', 'npz', '--out', str(tmp_path / 'run'),
               '--config', str(write(tmp_path / 'cfg.json', cfg)), '--device', 'cpu'] +
              (['--source-classes', '0,1,2,3'] if method == 'aeir' else []))
    assert rc == 0, capsys.readouterr().err
    run = json.loads((tmp_path / 'run' / 'run.json').read_text())
    again = eval_run(tmp_path / 'run')
    for k, v in run['metrics'].items(): assert again[k] == pytest.approx(v, abs=1e-9), k
    assert {'model.pt', 'run.json', 'metrics.md', 'metrics.csv'} <= {p.name for p in (tmp_path / 'run').iterdir()}
    assert main(['eval', '--checkpoint', str(tmp_path / 'run')]) == 0
    assert 'rsum' in capsys.readouterr().out if method == 'aeir' else True


def _npz(tmp_path, **change):
    d = make_synthetic(n_classes=4, n_per_class=10, seed=0)
    arrs = {k: getattr(d, k).numpy() for k in ('x_img', 'x_txt', 'y_img', 'y_txt', 'cls_emb', 'train_img', 'train_txt', 'txt2img')}
    arrs['class_names'] = np.array(d.class_names)
    np.savez(tmp_path / 'bad.npz', **(arrs | change))
    return tmp_path / 'bad.npz'


nan_img = np.ones((40, 32), np.float32); nan_img[3, 5] = np.nan

BAD = [  # (what, arguments after `zscmr train`, text the one-line error must contain)
    ('config with an unknown key', lambda t, d: ['cfsa', '--config', str(write(t / 'c.json', {'epoch': 3}))], "unknown keys ['epoch']"),
    ('config with a wrong type', lambda t, d: ['cfsa', '--config', str(write(t / 'c.json', {'epochs': '3'}))], "CFSAConfig.epochs: expected int, got '3'"),
    ('config with a bool for an int', lambda t, d: ['aeir', '--config', str(write(t / 'c.json', {'epochs': True}))], 'AEIRConfig.epochs: expected int'),
    ('config that is not JSON', lambda t, d: ['regression', '--config', str(write(t / 'c.json', '{"alpha": }'))], 'not valid JSON (line 1'),
    ('config that is not an object', lambda t, d: ['cca', '--config', str(write(t / 'c.json', '[1, 2]'))], 'expected a JSON object'),
    ('baseline config with a foreign key', lambda t, d: ['cca', '--config', str(write(t / 'c.json', {'alpha': 1.0}))], "CCASettings: unknown keys ['alpha']"),
    ('missing config file', lambda t, d: ['cfsa', '--config', str(t / 'nope.json')], 'nope.json: no such config file'),
    ('missing data file', lambda t, d: ['regression', '--data', str(t / 'nope.npz')], 'nope.npz: no such file'),
    ('truncated data file', lambda t, d: ['regression', '--data', str(_truncated(t, d))], 'cut.npz: not a readable .npz archive'),
    ('file of the wrong format', lambda t, d: ['regression', '--format', 'dadn'], 'no such folder'),
    ('.mat layout without class embeddings', lambda t, d: ['regression', '--format', 'mat'], '--cls-emb'),
    ('NaN in the features', lambda t, d: ['regression', '--data', str(_npz(t, x_img=nan_img))], 'x_img: 1 non-finite values (NaN/Inf), first at row 3, column 5'),
    ('features of the wrong shape', lambda t, d: ['regression', '--data', str(_npz(t, x_txt=np.ones(40, np.float32)))], 'x_txt: expected a 2-D'),
    ('labels out of range', lambda t, d: ['regression', '--data', str(_npz(t, y_img=np.arange(40) % 5))], 'y_img: label out of range [0, 4)'),
    ('classes without embeddings', lambda t, d: ['regression', '--data', str(_npz(t, cls_emb=np.ones((3, 8), np.float32), class_names=np.array(list('abcd'))))], 'without an embedding'),
    ('an unknown class name in an explicit split', lambda t, d: ['cfsa', '--unseen', '0,eleven'], "unknown class 'eleven'"),
    ('an empty unseen set', lambda t, d: ['regression', '--unseen', ','], 'split: no unseen classes'),
    ('no seen class left', lambda t, d: ['regression', '--unseen', '0,1,2,3,4,5', '--n-val', '2'], 'leaves no seen class to train on'),
    ('no target classes left', lambda t, d: ['aeir', '--source-classes', '0,1,2,3,4,5,6,7'], 'class_disjoint: no target classes left'),
]


def _truncated(t, d):
    (t / 'cut.npz').write_bytes(d.read_bytes()[:200])
    return t / 'cut.npz'


@pytest.mark.parametrize('what, args, msg', BAD, ids=[b[0] for b in BAD])
def test_bad_input_gives_one_line_naming_the_problem(tmp_path, data_file, capsys, what, args, msg):
    argv = ['train', *args(tmp_path, data_file)]
    if '--data' not in argv: argv += ['--data', str(data_file)]
    if '--format' not in argv: argv += ['--format', 'npz']
    rc = main(argv + ['--out', str(tmp_path / 'out'), '--device', 'cpu'])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith('zscmr: error: ') and '\n' not in err, err
    assert msg in err, err


def _interrupt_at(monkeypatch, cls, calls):
    "Make `cls._epoch` raise KeyboardInterrupt (what SIGINT raises) on its `calls`-th call."
    real, n = cls._epoch, [0]
    def epoch(self, *a, **kw):
        n[0] += 1
        if n[0] == calls: raise KeyboardInterrupt
        return real(self, *a, **kw)
    monkeypatch.setattr(cls, '_epoch', epoch)
    return lambda: monkeypatch.setattr(cls, '_epoch', real)


@pytest.mark.parametrize('phase', ['selection', 'refit'])
def test_cfsa_resumed_run_ends_with_the_same_numbers(tmp_path, monkeypatch, phase):
    d = make_synthetic(n_classes=8, n_per_class=40, seed=0)
    split = split_dadn(d, n_val=2, seed=0)
    full = CFSA(CFSAConfig(**TINY_CFSA, device='cpu')).fit(d, split, progress=False)
    # selection: stop in its 3rd epoch; refit: stop in the refit's last epoch
    undo = _interrupt_at(monkeypatch, CFSA, 3 if phase == 'selection' else TINY_CFSA['epochs'] + full.best_epoch)
    with pytest.raises(KeyboardInterrupt, match='interrupted during epoch'):
        CFSA(CFSAConfig(**TINY_CFSA, device='cpu')).fit(d, split, progress=False, state_dir=tmp_path)
    undo()
    resumed = CFSA(CFSAConfig(**TINY_CFSA, device='cpu')).fit(d, split, progress=False, state_dir=tmp_path, resume=True)
    assert resumed.best_epoch == full.best_epoch
    for k, v in full.nets.state_dict().items(): assert torch.equal(resumed.nets.state_dict()[k], v), k
    assert resumed.evaluate(d, split) == full.evaluate(d, split)
    assert [h['epoch'] for h in resumed.history] == [h['epoch'] for h in full.history]


def test_aeir_resumed_run_ends_with_the_same_numbers(tmp_path, monkeypatch):
    td = class_disjoint(make_synthetic(n_classes=8, n_per_class=40, seed=0), [0, 1, 2, 3])
    full = AEIR(AEIRConfig(**TINY_AEIR, device='cpu')).fit(td, progress=False)
    undo = _interrupt_at(monkeypatch, AEIR, 3)
    with pytest.raises(KeyboardInterrupt):
        AEIR(AEIRConfig(**TINY_AEIR, device='cpu')).fit(td, progress=False, state_path=tmp_path / 'a.pt')
    undo()
    assert load_checkpoint(tmp_path / 'a.pt')['epoch'] == 2
    resumed = AEIR(AEIRConfig(**TINY_AEIR, device='cpu')).fit(td, progress=False, state_path=tmp_path / 'a.pt', resume=True)
    for k, v in full.nets.state_dict().items(): assert torch.equal(resumed.nets.state_dict()[k], v), k
    assert resumed.evaluate(td) == full.evaluate(td)


def test_resume_refuses_a_state_file_from_different_settings(tmp_path):
    td = class_disjoint(make_synthetic(n_classes=8, n_per_class=40, seed=0), [0, 1, 2, 3])
    AEIR(AEIRConfig(**TINY_AEIR, device='cpu')).fit(td, progress=False, state_path=tmp_path / 'a.pt')
    with pytest.raises(ValueError, match=r"written by a different run \(differs in \['margin'\]\)"):
        AEIR(AEIRConfig(**TINY_AEIR | dict(margin=0.3), device='cpu')).fit(td, progress=False, state_path=tmp_path / 'a.pt', resume=True)


def test_nan_loss_names_loss_and_step_and_keeps_last_good_state(tmp_path, monkeypatch):
    import zscmr.cfsa as cfsa
    d = make_synthetic(n_classes=8, n_per_class=40, seed=0)
    split = split_dadn(d, n_val=2, seed=0)
    real_epoch, real_loss, calls = CFSA._epoch, cfsa.regression_loss, [0]
    def epoch(self, *a, **kw):
        calls[0] += 1
        return real_epoch(self, *a, **kw)
    monkeypatch.setattr(CFSA, '_epoch', epoch)        # the loss turns NaN from the second epoch on
    monkeypatch.setattr(cfsa, 'regression_loss', lambda z, e: real_loss(z, e) * (float('nan') if calls[0] >= 2 else 1.0))
    with pytest.raises(FloatingPointError, match=r'CFSA, epoch 2: iteration 1: non-finite loss .*real=nan.*last good state \(epoch 1\)'):
        CFSA(CFSAConfig(**TINY_CFSA, device='cpu')).fit(d, split, progress=False, state_dir=tmp_path)
    st = load_checkpoint(tmp_path / 'cfsa_select.pt')
    assert st['epoch'] == 1 and all(torch.isfinite(v).all() for v in st['parts']['nets'].values())


def test_sigint_leaves_a_loadable_state_and_a_clear_message(tmp_path):
    "A real Ctrl-C: SIGINT to a running `zscmr train`; then --resume finishes the run."
    data = tmp_path / 'big.npz'
    save_npz(make_synthetic(n_classes=8, n_per_class=150, d_img=256, d_txt=64, seed=0), data)
    cfg = write(tmp_path / 'c.json', dict(epochs=60, d_hidden=256, eval_every=5))
    # a shell's background job starts with SIGINT ignored, and Python then never raises KeyboardInterrupt: restore it
    main_ = 'import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); from zscmr.cli import main; sys.exit(main())'
    cmd = [sys.executable, '-c', main_, 'train', 'cfsa',
           '--data', str(data), '--format', 'npz', '--out', str(tmp_path / 'run'), '--config', str(cfg), '--device', 'cpu']
    env = os.environ | dict(OMP_NUM_THREADS='1')
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    state = tmp_path / 'run.partial' / 'state' / 'cfsa_select.pt'      # a run works next to its folder until it finishes
    t0 = time.time()
    while not state.exists() and p.poll() is None and time.time() - t0 < 120: time.sleep(0.05)
    assert p.poll() is None, f'finished before it could be interrupted: {p.communicate()}'
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, err
    line = err.strip().splitlines()[-1]
    assert line.startswith('zscmr: CFSA: interrupted during epoch') and 'run again with resume' in line, line
    st = load_checkpoint(state)
    assert st['kind'] == 'train_state' and 1 <= st['epoch'] < 60
    done = subprocess.run(cmd + ['--resume', '--config', str(write(tmp_path / 'c2.json', dict(epochs=60, d_hidden=256, eval_every=5)))],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr
    run = json.loads((tmp_path / 'run' / 'run.json').read_text())
    assert 0 < run['metrics']['unseen_avg'] <= 1
    assert not (tmp_path / 'run.partial').exists() and not (tmp_path / 'run.lock').exists()


def fake_gpu(monkeypatch):
    "Make this CPU machine look like one with a GPU, so that a run asked to use the CPU can be checked not to name it."
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda *a: 'Fake GPU')


@pytest.mark.parametrize('method, cfg', [('regression', {}), ('cfsa', TINY_CFSA)])
def test_a_cpu_run_on_a_gpu_machine_records_the_cpu(tmp_path, data_file, monkeypatch, method, cfg):
    fake_gpu(monkeypatch)
    assert main(['train', method, '--data', str(data_file), '--format', 'npz', '--out', str(tmp_path / 'run'),
                 '--config', str(write(tmp_path / 'cfg.json', cfg)), '--device', 'cpu']) == 0
    machine = json.loads((tmp_path / 'run' / 'run.json').read_text())['machine']
    assert 'CPU' in machine and 'Fake GPU' not in machine, machine


def test_quick_demo_writes_the_report_folder(tmp_path, capsys, monkeypatch):
    fake_gpu(monkeypatch)                                            # --device cpu must report the CPU, not the GPU
    assert main(['demo', '--quick', '--out', str(tmp_path / 'demo'), '--device', 'cpu']) == 0
    out = capsys.readouterr().out
    assert '| CFSA |' in out and '| paired-target oracle |' in out
    names = {p.name for p in (tmp_path / 'demo').iterdir()}
    assert {'zero_shot.csv', 'zero_shot.md', 'transfer.csv', 'transfer.md', 'config.json', 'report.md',
            'pr_curves.png', 'cfsa_training.png', 'aeir_training.png', 'checkpoints'} <= names
    cfg = json.loads((tmp_path / 'demo' / 'config.json').read_text())
    assert cfg['quick'] and cfg['configs']['CFSA']['epochs'] == 4 and cfg['versions']['torch'] == torch.__version__
    assert 'CPU' in cfg['machine'] and 'Fake GPU' not in cfg['machine'] + out, cfg['machine']
    assert len(list((tmp_path / 'demo' / 'checkpoints').glob('*.pt'))) == 9


def test_info_names_versions_device_and_data(capsys):
    assert main(['info']) == 0
    out = capsys.readouterr().out
    assert 'zscmr ' in out and 'torch ' in out and 'device: ' in out and 'embedded digits' in out


def test_cls_emb_reaches_the_digits_in_demo_and_bench(monkeypatch):
    "`--cls-emb attributes` loads the digits with the attribute table in `zscmr demo` and `zscmr bench digits`."
    import zscmr.cli as cli, zscmr.benchmark as benchmark
    from zscmr.data import load_dataset
    from zscmr.data import digit_attributes
    seen = {}
    monkeypatch.setattr(cli, 'demo', lambda *a, **kw: seen.setdefault('demo', kw) and {})
    monkeypatch.setattr(benchmark, 'bench', lambda *a, **kw: seen.setdefault('bench', kw) and '')
    cli.main(['demo', '--quick', '--cls-emb', 'attributes'])
    cli.main(['bench', 'digits', '--cls-emb', 'attributes'])
    assert seen['demo']['cls_emb'] == seen['bench']['cls_emb'] == 'attributes'
    assert torch.equal(load_dataset({'name': 'digits', 'cls_emb': 'attributes'}).cls_emb, torch.as_tensor(digit_attributes()['cls_emb']).float())
    assert not torch.equal(load_dataset('digits').cls_emb, load_dataset({'name': 'digits', 'cls_emb': 'attributes'}).cls_emb)
