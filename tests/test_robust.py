"Runs that cannot lie: each numbered case of the failure table in the CLI chapter, as a test."
import json, os, signal, subprocess, sys

import numpy as np
import pytest
import torch

import zscmr.train as train_mod
from zscmr.baselines import CCA, RidgeRegression
from zscmr.cfsa import CFSA, CFSAConfig
from zscmr.cli import eval_run, main, train_run
from zscmr.data import CrossModalData, DataError, load_dadn, load_mat, load_npz, make_synthetic, save_npz, split_dadn
from zscmr.synthesis import SynthConfig
from zscmr.train import TrainLoop, load_checkpoint, save_checkpoint
from zscmr.transfer import AEIR, AEIRConfig, class_disjoint

TINY_CFSA = dict(epochs=3, d_hidden=16, n_critic=1, n_syn=8, batch_size=32, eval_every=1)
TINY_AEIR = dict(epochs=4, source_epochs=2, d_joint=8, d_hidden=16, batch_size=32, warmup_epochs=1)


@pytest.fixture(scope='module')
def data_file(tmp_path_factory):
    p = tmp_path_factory.mktemp('data') / 'syn.npz'
    save_npz(make_synthetic(n_classes=8, n_per_class=20, d_img=16, d_txt=8, seed=0), p)
    return p


def cfg(tmp_path, d, name='cfg.json'):
    (tmp_path / name).write_text(json.dumps(d))
    return str(tmp_path / name)


def zscmr(capsys, *argv):
    "Run `zscmr argv…` in-process; return (exit status, stderr's last line)."
    rc = main([str(a) for a in argv])
    err = capsys.readouterr().err.strip()
    return rc, err.splitlines()[-1] if err else ''


def train(capsys, tmp_path, data, method, out, config=None, *more):
    extra = ['--config', cfg(tmp_path, config, f'{method}.json')] if config else []
    return zscmr(capsys, 'train', method, '--data', data, '--format', 'npz', '--out', out, '--device', 'cpu', *extra, *more)


# 1. --resume accepts only the same run
def test_1_resume_refuses_another_split(tmp_path, data_file, capsys):
    out = tmp_path / 'run'
    assert train(capsys, tmp_path, data_file, 'cfsa', out, TINY_CFSA)[0] == 0
    before = (out / 'run.json').read_text()
    rc, err = train(capsys, tmp_path, data_file, 'cfsa', out, TINY_CFSA, '--resume', '--unseen', '1,3,5,7')
    assert rc == 2 and 'was made by another run' in err and 'split.unseen: [0, 2, 4, 6] there, [1, 3, 5, 7] now' in err, err
    assert (out / 'run.json').read_text() == before and not (tmp_path / 'run.partial').exists()


def test_1_resume_refuses_other_data(tmp_path, data_file, capsys):
    out = tmp_path / 'run'
    assert train(capsys, tmp_path, data_file, 'aeir', out, TINY_AEIR)[0] == 0
    noise = make_synthetic(n_classes=8, n_per_class=20, d_img=16, d_txt=8, separation=0.0, seed=0)
    save_npz(noise, tmp_path / 'noise.npz')
    rc, err = train(capsys, tmp_path, tmp_path / 'noise.npz', 'aeir', out, TINY_AEIR, '--resume')
    assert rc == 2 and "was made by another run (differs in ['data'])" in err, err


def test_1_resume_of_the_same_finished_run_is_allowed(tmp_path, data_file, capsys):
    out = tmp_path / 'run'
    assert train(capsys, tmp_path, data_file, 'cfsa', out, TINY_CFSA)[0] == 0
    first = json.loads((out / 'run.json').read_text())
    assert train(capsys, tmp_path, data_file, 'cfsa', out, TINY_CFSA, '--resume')[0] == 0
    assert json.loads((out / 'run.json').read_text())['metrics'] == first['metrics']


# 2. run folders: no silent overwrite, a lock, all or nothing
def test_2_a_finished_run_is_replaced_only_with_force(tmp_path, data_file, capsys):
    out = tmp_path / 'run'
    assert train(capsys, tmp_path, data_file, 'cfsa', out, TINY_CFSA)[0] == 0
    rc, err = train(capsys, tmp_path, data_file, 'regression', out)
    assert rc == 2 and 'holds a finished cfsa run; pass --force' in err, err
    assert json.loads((out / 'run.json').read_text())['method'] == 'cfsa'
    assert train(capsys, tmp_path, data_file, 'regression', out, None, '--force')[0] == 0
    assert json.loads((out / 'run.json').read_text())['method'] == 'regression'
    assert not (out / 'state').exists()                                # no stale state of the replaced run


def test_2_a_second_writer_gets_the_holders_pid(tmp_path, data_file, capsys):
    holder = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    try:
        (tmp_path / 'run.lock').write_text(f'{holder.pid}\n')
        rc, err = train(capsys, tmp_path, data_file, 'regression', tmp_path / 'run')
        assert rc == 2 and f'another zscmr run (PID {holder.pid}) is writing it' in err, err
    finally: holder.kill(); holder.wait()
    assert train(capsys, tmp_path, data_file, 'regression', tmp_path / 'run')[0] == 0   # a dead holder's lock is taken over
    assert not (tmp_path / 'run.lock').exists()


def test_2_a_failed_overwrite_keeps_the_old_run(tmp_path, data_file, capsys, monkeypatch):
    import errno, zscmr.cli as cli
    out = tmp_path / 'run'
    assert train(capsys, tmp_path, data_file, 'regression', out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    def full(*a, **k): raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(cli, 'write_table', full)
    rc, err = train(capsys, tmp_path, data_file, 'cca', out, {'n_components': 2}, '--force')
    assert rc == 2 and 'No space left' in err, err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not (tmp_path / 'run.partial').exists() and not (tmp_path / 'run.lock').exists()
    monkeypatch.undo()
    assert main(['eval', '--checkpoint', str(out)]) == 0


# 3. settings that would give a wrong model with exit status 0
@pytest.mark.parametrize('method, settings, msg', [
    ('aeir', dict(grad_clip=-1.0), 'AEIRConfig.grad_clip: expected a number in [0, inf)'),
    ('aeir', dict(d_joint=0), 'AEIRConfig.d_joint: expected a positive int'),
    ('aeir', dict(lr=0.0), 'AEIRConfig.lr: expected a number in (0, inf)'),
    ('aeir', dict(epochs=0, source_epochs=0), 'AEIRConfig.epochs: expected a positive int'),
    ('cfsa', dict(lr_enc=0.0), 'CFSAConfig.lr_enc: expected a number in (0, inf)'),
    ('cfsa', dict(lr_gan=-1e-3), 'CFSAConfig.lr_gan: expected a number in (0, inf)'),
    ('cfsa', dict(dropout=1.0), 'CFSAConfig.dropout: expected a number in [0, 1)'),
    ('regression', dict(alpha=-1.0), 'RidgeRegression.alpha: expected a number in [0, inf)'),
    ('cca', dict(n_components=0), 'CCA.n_components: expected an int in [1, inf)'),
])
def test_3_nonsense_settings_are_refused_by_name(tmp_path, data_file, capsys, method, settings, msg):
    rc, err = train(capsys, tmp_path, data_file, method, tmp_path / 'run', settings)
    assert rc == 2 and msg in err, err
    assert not (tmp_path / 'run').exists() and not (tmp_path / 'run.partial').exists()


def test_3_every_config_field_has_a_range():
    import dataclasses
    bad = dict(int=-7, float=float('nan'))
    for cls in (CFSAConfig, AEIRConfig, SynthConfig):
        for f in dataclasses.fields(cls):
            kind = str(f.type).split(' ')[0]
            if kind not in bad: continue
            with pytest.raises(ValueError, match=rf'{cls.__name__}\.{f.name}: expected'):
                cls(**{f.name: bad[kind]})


def test_3_a_diverging_run_stops_with_a_message(tmp_path, data_file, capsys):
    rc, err = train(capsys, tmp_path, data_file, 'cfsa', tmp_path / 'run', TINY_CFSA | dict(lr_enc=1e6, lr_gan=1e6))
    assert rc == 2 and 'the run diverged: loss' in err and 'lower the learning rate' in err, err
    assert not (tmp_path / 'run').exists()


def test_3_divergence_check_in_the_loop(tmp_path):
    loop = TrainLoop(0, 'cpu', 'toy', progress=False, state_path=tmp_path / 's.pt')
    with pytest.raises(FloatingPointError, match=r'toy, epoch 3: the run diverged: loss l grew from 2 .* to 2e\+08.*last good state \(epoch 2\)'):
        loop.run(lambda ep: dict(l=2.0 * 100.0 ** (ep ** 2)), 5, {})
    assert load_checkpoint(tmp_path / 's.pt')['epoch'] == 2
    TrainLoop(0, 'cpu', 'toy', progress=False).run(lambda ep: dict(l=0.01 * 100 ** ep), 3, {})   # 1 → 100: fine


def test_3_one_unseen_class_is_refused(tmp_path, capsys):
    save_npz(make_synthetic(n_classes=4, n_per_class=20, seed=0), tmp_path / 'four.npz')
    rc, err = zscmr(capsys, 'train', 'regression', '--data', tmp_path / 'four.npz', '--format', 'npz', '--out', tmp_path / 'run',
                    '--n-val', 0, '--unseen', 0)
    assert rc == 2 and 'only 1 unseen class [0]' in err and 'at least 2 unseen classes' in err, err


def test_3_negative_counts_on_the_command_line(tmp_path, capsys):
    rc, err = zscmr(capsys, 'bench', 'digits', '--random-splits', -1, '--out', tmp_path / 'b')
    assert rc == 2 and '--random-splits: expected 0 or more, got -1' in err, err
    rc, err = zscmr(capsys, 'demo', '--threads', 0, '--out', tmp_path / 'd')
    assert rc == 2 and '--threads: expected 1 or more' in err, err


# 4. tracebacks turned into errors
def _eval_on(tmp_path, capsys, data_file, n_classes):
    out = tmp_path / 'run'
    assert train(capsys, tmp_path, data_file, 'regression', out)[0] == 0
    save_npz(make_synthetic(n_classes=n_classes, n_per_class=20, d_img=16, d_txt=8, seed=0), tmp_path / 'other.npz')
    return zscmr(capsys, 'eval', '--checkpoint', out, '--data', tmp_path / 'other.npz', '--format', 'npz')


def test_4_eval_on_fewer_classes(tmp_path, data_file, capsys):
    rc, err = _eval_on(tmp_path, capsys, data_file, 6)
    assert rc == 2 and "its 6 classes differ from the model's 8 (missing ['6', '7'])" in err, err


def test_4_eval_on_more_classes(tmp_path, data_file, capsys):
    rc, err = _eval_on(tmp_path, capsys, data_file, 10)
    assert rc == 2 and "its 10 classes differ from the model's 8 (extra ['8', '9'])" in err, err


def test_4_aeir_batch_size_zero(tmp_path, data_file, capsys):
    rc, err = train(capsys, tmp_path, data_file, 'aeir', tmp_path / 'run', TINY_AEIR | dict(batch_size=0))
    assert rc == 2 and 'AEIRConfig.batch_size: expected an int in [2, inf), got 0' in err, err


def test_4_one_column_class_embeddings_for_regression(tmp_path, capsys):
    save_npz(make_synthetic(n_classes=8, n_per_class=20, d_emb=1, seed=0), tmp_path / 'one.npz')
    rc, err = zscmr(capsys, 'train', 'regression', '--data', tmp_path / 'one.npz', '--format', 'npz', '--out', tmp_path / 'run')
    assert rc == 0, err
    assert main(['eval', '--checkpoint', str(tmp_path / 'run' / 'model.pt')]) == 0      # a model.pt names its folder


def test_4_run_json_naming_a_class_the_data_lacks(tmp_path, data_file, capsys):
    out = tmp_path / 'run'
    assert train(capsys, tmp_path, data_file, 'regression', out)[0] == 0
    run = json.loads((out / 'run.json').read_text())
    run['split']['unseen'] = run['split']['unseen'] + [99]; del run['class_names']
    (out / 'run.json').write_text(json.dumps(run))
    rc, err = zscmr(capsys, 'eval', '--checkpoint', out)
    assert rc == 2 and "the run's split names class 99, but the data has 8 classes" in err, err
    (out / 'run.json').write_text('{"method": "cca", ')
    rc, err = zscmr(capsys, 'eval', '--checkpoint', out)
    assert rc == 2 and 'run.json: not valid JSON' in err, err


# 5. memory
def test_5_huge_features_are_refused_before_allocating(monkeypatch):
    monkeypatch.setattr(train_mod, 'free_memory', lambda device: 2**28)
    d = make_synthetic(n_classes=4, n_per_class=12, d_img=10**5, d_txt=8, seed=0)
    with pytest.raises(MemoryError, match=r'CFSA training: needs about .* GiB but only 0.2 GiB is free on cpu'):
        CFSA(CFSAConfig(epochs=1, device='cpu')).fit(d, split_dadn(d), progress=False)
    td = class_disjoint(d, [0, 1])
    with pytest.raises(MemoryError, match='AEIR training: needs about'):
        AEIR(AEIRConfig(epochs=2, source_epochs=1, device='cpu')).fit(td, progress=False)


def test_5_retrieval_matrix_is_estimated_first(tmp_path, data_file, capsys, monkeypatch):
    monkeypatch.setattr(train_mod, 'free_memory', lambda device: 1000)
    rc, err = train(capsys, tmp_path, data_file, 'regression', tmp_path / 'run')
    assert rc == 2 and 'evaluation: ' in err and 'queries × ' in err and 'GiB is free' in err, err


def test_5_load_npz_reads_only_the_arrays_it_uses(tmp_path, monkeypatch):
    d = make_synthetic(n_classes=4, n_per_class=10, seed=0)
    arrs = {k: getattr(d, k).numpy() for k in ('x_img', 'x_txt', 'y_img', 'y_txt', 'cls_emb', 'train_img', 'train_txt', 'txt2img')}
    np.savez(tmp_path / 'extra.npz', **arrs, unused=np.zeros(10))
    read, real = [], np.lib.npyio.NpzFile.__getitem__
    monkeypatch.setattr(np.lib.npyio.NpzFile, '__getitem__', lambda self, k: read.append(k) or real(self, k))
    assert load_npz(tmp_path / 'extra.npz').class_names == ['0', '1', '2', '3']       # class_names is optional
    assert 'unused' not in read and set(read) == set(arrs)


# 6. messages that name the file or setting
def test_6_malformed_meta(tmp_path, data_file):
    with np.load(data_file) as z: arrs = {k: z[k] for k in z.files}
    np.savez(tmp_path / 'm.npz', **(arrs | dict(meta=np.array('{"source": '))))
    with pytest.raises(DataError, match=r"m.npz: the 'meta' array is not JSON text"): load_npz(tmp_path / 'm.npz')
    np.savez(tmp_path / 'm.npz', **(arrs | dict(meta=np.array('[1, 2]'))))
    with pytest.raises(DataError, match=r"m.npz: the 'meta' array must hold a JSON object"): load_npz(tmp_path / 'm.npz')


def test_6_mat_train_test_dimension_mismatch(tmp_path):
    from scipy.io import savemat
    r = np.random.default_rng(0)
    for k, shape in dict(train_img=(6, 5), test_img=(4, 7), train_txt=(6, 3), test_txt=(4, 3)).items():
        savemat(tmp_path / f'{k}.mat', {k: r.random(shape)})
    for s, n in (('train', 6), ('test', 4)): savemat(tmp_path / f'{s}_img_lab.mat', {f'{s}_img_lab': np.arange(n)[:, None] % 2 + 1})
    with pytest.raises(DataError, match=r'test_img.mat: \(7,\) features per row but train_img.mat has \(5,\)'):
        load_mat(tmp_path, np.ones((2, 3)))


def test_6_dadn_list_not_utf8(tmp_path):
    for mod in ('img', 'txt'):
        for s in ('train', 'test'):
            np.savetxt(tmp_path / f'{mod}_{s}_fea.txt', np.ones((2, 3)))
            (tmp_path / f'{mod}_{s}_list.txt').write_text('a 1\nb 2\n')
    np.savetxt(tmp_path / 'cate_fea.txt', np.eye(2))
    (tmp_path / 'txt_test_list.txt').write_bytes(b'a 1\n\xff\xfe 2\n')
    with pytest.raises(DataError, match=r"txt_test_list.txt: not UTF-8 text \(byte 4"): load_dadn(tmp_path)


@pytest.mark.parametrize('argv, msg', [
    (['--seed', '-1'], '--seed: expected an int in [0, 2**63), got -1'),
    (['--seed', str(2**70)], '--seed: expected an int in [0, 2**63)'),
    (['--n-val', '-1'], '--n-val: expected 0 or more, got -1'),
])
def test_6_command_line_numbers_named(tmp_path, data_file, capsys, argv, msg):
    rc, err = train(capsys, tmp_path, data_file, 'regression', tmp_path / 'run', None, *argv)
    assert rc == 2 and msg in err, err


@pytest.mark.parametrize('make, msg', [
    (lambda: CFSAConfig(d_noise=-3), 'CFSAConfig.d_noise: expected a positive int or None, got -3'),
    (lambda: CFSAConfig(seed=-1), 'CFSAConfig.seed: expected an int in [0, 2**63), got -1'),
    (lambda: AEIRConfig(seed=2**70), 'AEIRConfig.seed: expected an int in [0, 2**63)'),
    (lambda: train_run('regression', 'x.npz', 'npz', 'out', n_val=-1), '--n-val: expected 0 or more'),
])
def test_6_settings_named(make, msg):
    with pytest.raises(ValueError) as e: make()
    assert msg in str(e.value), str(e.value)


def test_6_disk_full_names_the_file(tmp_path, monkeypatch):
    def full(obj, f, *a, **k):
        open(f, 'wb').write(b'PK')
        raise RuntimeError('[enforce fail at inline_container.cc:672] . PytorchStreamWriter failed writing file data/0: file write failed')
    monkeypatch.setattr(torch, 'save', full)
    with pytest.raises(OSError, match=r'ck.pt: could not write the checkpoint \(is the disk full\?\)'):
        save_checkpoint({'w': torch.ones(2)}, tmp_path / 'ck.pt')
    assert list(tmp_path.iterdir()) == []                               # no temporary file left


# 7. small things
def test_7_stale_tmp_files_are_cleaned_on_resume(tmp_path):
    td = class_disjoint(make_synthetic(n_classes=8, n_per_class=20, seed=0), [0, 1, 2, 3])
    (tmp_path / 'a.pt.x1y2z3.tmp').write_bytes(b'half a checkpoint')
    AEIR(AEIRConfig(**TINY_AEIR, device='cpu')).fit(td, progress=False, state_path=tmp_path / 'a.pt', resume=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.pt']


def test_7_seconds_count_the_whole_resumed_run(tmp_path, data_file, monkeypatch):
    import time
    real, calls = AEIR._epoch, [0]
    def slow(self, *a, **k):
        calls[0] += 1
        if calls[0] == 3: raise KeyboardInterrupt
        time.sleep(0.3); return real(self, *a, **k)
    monkeypatch.setattr(AEIR, '_epoch', slow)
    (tmp_path / 'c.json').write_text(json.dumps(TINY_AEIR))
    kw = dict(config=tmp_path / 'c.json', device='cpu', progress=False)
    with pytest.raises(KeyboardInterrupt): train_run('aeir', data_file, 'npz', tmp_path / 'run', **kw)
    run = train_run('aeir', data_file, 'npz', tmp_path / 'run', resume=True, **kw)
    assert run['seconds'] >= 4 * 0.3, run['seconds']


def test_7_checkpoints_are_not_private(tmp_path):
    umask = os.umask(0o022)
    try: save_checkpoint({'w': torch.ones(1)}, tmp_path / 'ck.pt')
    finally: os.umask(umask)
    assert (tmp_path / 'ck.pt').stat().st_mode & 0o777 == 0o644


def test_7_a_failed_run_leaves_no_folders(tmp_path, capsys):
    rc, _ = zscmr(capsys, 'train', 'regression', '--data', tmp_path / 'nope.npz', '--format', 'npz', '--out', tmp_path / 'a' / 'b' / 'run')
    assert rc == 2 and list(tmp_path.iterdir()) == []
    save_npz(make_synthetic(n_classes=3, n_per_class=10, seed=0), tmp_path / 'three.npz')
    rc, _ = zscmr(capsys, 'train', 'regression', '--data', tmp_path / 'three.npz', '--format', 'npz', '--out', tmp_path / 'a' / 'run')
    assert rc == 2 and sorted(p.name for p in tmp_path.iterdir()) == ['three.npz']


# the command line itself
def test_no_arguments_prints_the_help(capsys):
    assert main([]) == 0
    assert 'usage: zscmr' in capsys.readouterr().out


def test_train_help_lists_the_npz_arrays(capsys):
    with pytest.raises(SystemExit): main(['train', '--help'])
    out = capsys.readouterr().out
    for word in ('x_img', 'x_txt', 'y_img', 'y_txt', 'cls_emb', 'train_img', 'train_txt', 'txt2img', 'optional: class_names',
                 'cate_fea.txt', 'raw_features.mat', 'train_img_lab.mat', '--threads', '--force'):
        assert word in out, word


@pytest.mark.slow
def test_sigkill_during_a_state_save_then_resume_gives_the_uninterrupted_run(tmp_path, data_file):
    "kill -9 while the third state file is half written; --resume must end exactly where an uninterrupted run ends."
    config = cfg(tmp_path, TINY_AEIR)
    args = ['train', 'aeir', '--data', str(data_file), '--format', 'npz', '--config', config, '--device', 'cpu', '--threads', '1']
    killer = ("import os, signal, sys, torch\n"
              "real, n = torch.save, [0]\n"
              "def save(obj, f, *a, **k):\n"
              "    if isinstance(obj, dict) and obj.get('kind') == 'train_state':\n"
              "        n[0] += 1\n"
              "        if n[0] == 3:\n"
              "            real(obj, f, *a, **k); b = open(f, 'rb').read(); open(f, 'wb').write(b[:len(b) // 2])\n"
              "            os.kill(os.getpid(), signal.SIGKILL)\n"
              "    return real(obj, f, *a, **k)\n"
              "torch.save = save\n"
              "from zscmr.cli import main; sys.exit(main(sys.argv[1:]))\n")
    env = os.environ | dict(OMP_NUM_THREADS='1')
    run = lambda code, out, *more: subprocess.run([sys.executable, '-c', code, *args, '--out', str(out), *more],
                                                  capture_output=True, text=True, env=env, timeout=300)
    plain = "import sys; from zscmr.cli import main; sys.exit(main(sys.argv[1:]))"
    assert run(plain, tmp_path / 'whole').returncode == 0
    killed = run(killer, tmp_path / 'run')
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert list((tmp_path / 'run.partial' / 'state').glob('*.tmp')), 'the kill did not hit a save'
    done = run(plain, tmp_path / 'run', '--resume')
    assert done.returncode == 0, done.stderr
    a, b = (json.loads((tmp_path / r / 'run.json').read_text()) for r in ('whole', 'run'))
    assert a['metrics'] == b['metrics']
    wa, wb = (load_checkpoint(tmp_path / r / 'model.pt')['nets'] for r in ('whole', 'run'))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    left = sorted(p.name for p in tmp_path.rglob('*') if p.suffix in ('.tmp', '.lock', '.partial', '.old'))
    assert left == [] and not (tmp_path / 'run.partial').exists()


# 8. stored work that nothing destroys: a run folder records what made it
def test_8_resume_refuses_a_finished_run_of_another_method(tmp_path, data_file, capsys):
    out = tmp_path / 'run'
    assert train(capsys, tmp_path, data_file, 'cca', out, {'n_components': 2})[0] == 0
    before = (out / 'run.json').read_text()
    rc, err = train(capsys, tmp_path, data_file, 'regression', out, None, '--resume')
    assert rc == 2 and 'was made by another run' in err and 'method: cca there, regression now' in err, err
    assert (out / 'run.json').read_text() == before


def test_8_resume_of_a_baseline_refuses_other_data(tmp_path, data_file, capsys):
    out = tmp_path / 'run'
    assert train(capsys, tmp_path, data_file, 'regression', out)[0] == 0
    before = (out / 'run.json').read_text()
    save_npz(make_synthetic(n_classes=8, n_per_class=20, d_img=16, d_txt=8, seed=1), tmp_path / 'other.npz')
    rc, err = train(capsys, tmp_path, tmp_path / 'other.npz', 'regression', out, None, '--resume')
    assert rc == 2 and 'was made by another run' in err and "'data'" in err, err
    assert (out / 'run.json').read_text() == before


def test_8_resume_refuses_changed_validation_test_items(tmp_path, data_file, capsys):
    out = tmp_path / 'run'
    assert train(capsys, tmp_path, data_file, 'cfsa', out, TINY_CFSA)[0] == 0
    val = json.loads((out / 'run.json').read_text())['split']['val']
    with np.load(data_file) as z: arrs = {k: z[k] for k in z.files}
    pick = np.isin(arrs['y_img'], val) & ~arrs['train_img']
    arrs['x_img'] = arrs['x_img'].copy(); arrs['x_img'][pick] += 1.0
    np.savez(tmp_path / 'changed.npz', **arrs)
    rc, err = train(capsys, tmp_path, tmp_path / 'changed.npz', 'cfsa', out, TINY_CFSA, '--resume')
    assert rc == 2 and "'data'" in err, err


def test_8_cfsa_state_signature_covers_the_validation_items(tmp_path):
    d = make_synthetic(n_classes=8, n_per_class=20, d_img=16, d_txt=8, seed=0)
    split = split_dadn(d, n_val=2)
    CFSA(CFSAConfig(**TINY_CFSA, device='cpu')).fit(d, split, progress=False, state_dir=tmp_path)
    x = d.x_img.clone(); pick = torch.isin(d.y_img, torch.tensor(split.val)) & ~d.train_img; x[pick] += 1.0
    assert pick.any()
    import dataclasses
    with pytest.raises(ValueError, match='written by a different run'):
        CFSA(CFSAConfig(**TINY_CFSA, device='cpu')).fit(dataclasses.replace(d, x_img=x), split, progress=False, state_dir=tmp_path, resume=True)


def test_8_force_never_deletes_the_folder_holding_the_data(tmp_path, capsys):
    (tmp_path / 'd').mkdir()
    save_npz(make_synthetic(n_classes=8, n_per_class=20, seed=0), tmp_path / 'd' / 'syn.npz')
    rc, err = zscmr(capsys, 'train', 'regression', '--data', tmp_path / 'd' / 'syn.npz', '--format', 'npz', '--out', tmp_path / 'd', '--force')
    assert rc == 2 and 'holds the input' in err, err
    assert (tmp_path / 'd' / 'syn.npz').exists()


def test_8_force_never_deletes_the_working_directory(tmp_path, data_file, capsys, monkeypatch):
    (tmp_path / 'here').mkdir(); (tmp_path / 'here' / 'notes.txt').write_text('mine')
    monkeypatch.chdir(tmp_path / 'here')
    for out in ('.', tmp_path / 'here', tmp_path):
        rc, err = train(capsys, tmp_path, data_file, 'regression', out, None, '--force')
        assert rc == 2 and 'is or holds the current folder' in err, err
    assert (tmp_path / 'here' / 'notes.txt').read_text() == 'mine'


def test_8_force_replaces_only_a_run_folder(tmp_path, data_file, capsys):
    (tmp_path / 'mine').mkdir(); (tmp_path / 'mine' / 'thesis.tex').write_text('years of work')
    rc, err = train(capsys, tmp_path, data_file, 'regression', tmp_path / 'mine', None, '--force')
    assert rc == 2 and 'not a zscmr run folder' in err, err
    assert (tmp_path / 'mine' / 'thesis.tex').exists()
    out = tmp_path / 'run'
    assert train(capsys, tmp_path, data_file, 'regression', out)[0] == 0
    assert (out / 'zscmr-run.json').exists()
    assert train(capsys, tmp_path, data_file, 'cca', out, {'n_components': 2}, '--force')[0] == 0


def test_8_a_full_disk_while_resume_copies_leaves_no_partial(tmp_path, data_file, capsys, monkeypatch):
    import errno, shutil
    out = tmp_path / 'run'
    assert train(capsys, tmp_path, data_file, 'regression', out)[0] == 0
    real = shutil.copytree
    def full(src, dst, *a, **k):
        real(src, dst, *a, **k); raise OSError(errno.ENOSPC, 'No space left on device')
    monkeypatch.setattr(shutil, 'copytree', full)
    rc, err = train(capsys, tmp_path, data_file, 'regression', out, None, '--resume')
    assert rc == 2 and 'No space left' in err, err
    assert not (tmp_path / 'run.partial').exists() and not (tmp_path / 'run.lock').exists()
    monkeypatch.undo()
    assert train(capsys, tmp_path, data_file, 'regression', out, None, '--resume')[0] == 0


# 9. the experiment runner keeps what finished and never writes over another study
def _tiny_study(name='tiny'):
    from zscmr.experiments import Study, Variant
    return Study(name, 'zero-shot', {'name': 'synthetic', 'seed': 0, 'n_per_class': 12}, ('CCA', 'ridge regression (DeViSE-style)'),
                 {'default': Variant()}, seeds=(0, 1))


def _sweep():
    from pathlib import Path
    bench = Path(__file__).resolve().parents[1] / 'bench'
    if str(bench) not in sys.path: sys.path.insert(0, str(bench))
    import sweep
    return sweep


def _no_training(*a, **k): raise AssertionError('the sweep started training')


def test_9_results_of_another_study_are_refused(tmp_path):
    from zscmr.experiments import check_results_file, run_study, save_results
    p = tmp_path / 'r.json'
    save_results(run_study(_tiny_study('a'), seeds=[0], progress=False), p)
    before = p.read_text()
    with pytest.raises(ValueError, match=r"r.json: holds the records of study 'a', not 'b'"): check_results_file(p, _tiny_study('b'))
    with pytest.raises(ValueError, match=r"holds the records of study 'a', not 'b'"):
        save_results(run_study(_tiny_study('b'), seeds=[0], progress=False), p)
    assert p.read_text() == before


def test_9_sweep_refuses_another_studys_file_before_training(tmp_path, capsys, monkeypatch):
    import shutil
    sweep = _sweep()
    monkeypatch.setattr(sweep, 'run_study', _no_training)
    bench = sweep.Path(sweep.__file__).parent
    shutil.copy(bench / 'results' / 'transfer.json', tmp_path / 't.json')
    with pytest.raises(SystemExit): sweep.main(['digits_cfsa_variants', '--out', str(tmp_path / 't.json')])
    assert "holds the records of study 'transfer', not 'digits_cfsa_variants'" in capsys.readouterr().err
    assert (tmp_path / 't.json').read_bytes() == (bench / 'results' / 'transfer.json').read_bytes()


@pytest.mark.parametrize('text, msg', [
    ('{"meta": {}, "records": null}', "'records' is not a list"),
    ('{"meta": [], "records": []}', "'meta' is not an object"),
    ('{"meta": {}, "records": [1]}', 'record 0 is not an object'),
    ('{"meta": {}, "records": [{"seed": 0}]}', "record 0 lacks ['method', 'split', 'variant']"),
    ('{"meta": {}, "records": [', 'not valid JSON'),
])
def test_9_a_results_file_of_the_wrong_shape_is_refused_before_training(tmp_path, capsys, monkeypatch, text, msg):
    sweep = _sweep()
    monkeypatch.setattr(sweep, 'run_study', _no_training)
    (tmp_path / 'r.json').write_text(text)
    with pytest.raises(SystemExit): sweep.main(['digits_cfsa_variants', '--out', str(tmp_path / 'r.json')])
    assert msg in capsys.readouterr().err


@pytest.mark.parametrize('jobs', [1, 2])
def test_9_a_crash_keeps_the_finished_jobs(tmp_path, monkeypatch, jobs):
    import zscmr.experiments as ex
    real, calls = ex.run_job, []
    def dies(study, variant, method, split, seed, device=None):
        calls.append(1)
        if (method, seed) == ('ridge regression (DeViSE-style)', 1): raise KeyboardInterrupt
        return real(study, variant, method, split, seed, device)
    monkeypatch.setattr(ex, 'run_job', dies)
    p = tmp_path / 'r.json'
    with pytest.raises(KeyboardInterrupt): ex.run_study(_tiny_study(), progress=False, path=p, jobs=1)
    recs = json.loads(p.read_text())['records']
    assert sorted((r['method'], r['seed']) for r in recs) == [('CCA', 0), ('CCA', 1), ('ridge regression (DeViSE-style)', 0)]
    monkeypatch.setattr(ex, 'run_job', real)
    done = ex.run_study(_tiny_study(), progress=False, path=p, jobs=jobs)
    saved = json.loads(p.read_text())
    assert len(saved['records']) == 4 and saved['records'] == done['records'] and 'unfinished' not in saved['meta']


@pytest.mark.parametrize('argv, msg', [
    (['--seeds', '-1'], '--seeds: expected ints in [0, 2**63), got -1'),
    (['--jobs', '0'], '--jobs: expected 1 or more, got 0'),
    (['--variants', 'nope'], "--variants: unknown ['nope']"),
    (['--methods', 'SVM'], "--methods: unknown ['SVM']"),
    (['--device', 'gpu0'], "--device: 'gpu0'"),
])
def test_9_sweep_bad_arguments_are_one_line(tmp_path, capsys, monkeypatch, argv, msg):
    sweep = _sweep()
    monkeypatch.setattr(sweep, 'run_study', _no_training)
    with pytest.raises(SystemExit) as e: sweep.main(['digits_cfsa_variants', '--out', str(tmp_path / 'r.json'), *argv])
    err = capsys.readouterr().err
    assert e.value.code == 2 and msg in err and 'Traceback' not in err, err


# 10. labels and splits that would print a perfect score
def test_10_a_repeated_unseen_class_is_refused(tmp_path, data_file, capsys):
    rc, err = train(capsys, tmp_path, data_file, 'regression', tmp_path / 'run', None, '--unseen', '0,0')
    assert rc == 2 and 'split: class 0 is named twice' in err, err
    rc, err = train(capsys, tmp_path, data_file, 'regression', tmp_path / 'run', None, '--unseen', '0,1,00')
    assert rc == 2 and 'named twice' in err, err


@pytest.mark.parametrize('n_classes', [6, 7])
def test_10_a_one_class_seen_side_is_refused(tmp_path, capsys, n_classes):
    save_npz(make_synthetic(n_classes=n_classes, n_per_class=12, seed=0), tmp_path / 'd.npz')
    rc, err = zscmr(capsys, 'train', 'regression', '--data', tmp_path / 'd.npz', '--format', 'npz', '--out', tmp_path / 'run')
    assert rc == 2 and 'leaves 1 seen class' in err and 'seen mAP is 1 whatever the model' in err, err


def test_10_a_dead_holders_reused_pid_does_not_lock_forever(tmp_path, data_file, capsys):
    other = subprocess.Popen(['sleep', '60'])                          # a live process that is no zscmr run
    try:
        (tmp_path / 'run.lock').write_text(f'{other.pid}\n')
        rc, err = train(capsys, tmp_path, data_file, 'regression', tmp_path / 'run')
        assert rc == 0, err
    finally: other.kill(); other.wait()
    assert not (tmp_path / 'run.lock').exists()


def test_10_a_live_lock_names_the_command_to_clear_it(tmp_path, data_file, capsys):
    holder = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    try:
        (tmp_path / 'run.lock').write_text(f'{holder.pid}\n')
        rc, err = train(capsys, tmp_path, data_file, 'regression', tmp_path / 'run')
        assert rc == 2 and f"if it is not running, remove the lock: rm {tmp_path / 'run.lock'}" in err, err
    finally: holder.kill(); holder.wait()


def _mat_folder(tmp_path, labels_train, labels_test):
    from scipy.io import savemat
    r = np.random.default_rng(0)
    for s, lab in (('train', labels_train), ('test', labels_test)):
        for m, d in (('img', 5), ('txt', 3)): savemat(tmp_path / f'{s}_{m}.mat', {f'{s}_{m}': r.random((len(lab), d))})
        savemat(tmp_path / f'{s}_img_lab.mat', {f'{s}_img_lab': np.array(lab)[:, None]})
    np.save(tmp_path / 'E.npy', np.eye(4))
    return tmp_path


def test_10_mat_labels_need_an_explicit_base(tmp_path, capsys):
    d = _mat_folder(tmp_path, [1, 2, 3, 1, 2, 3], [1, 2, 3])               # 0-based, class 0 has no items
    with pytest.raises(DataError, match=r'say which label is the first class \(they run from 1 to 3\)'): load_mat(d, np.eye(4))
    assert load_mat(d, np.eye(4), label_base=0).y_img.tolist() == [1, 2, 3, 1, 2, 3, 1, 2, 3]
    assert load_mat(d, np.eye(4), label_base=1).y_img.tolist() == [0, 1, 2, 0, 1, 2, 0, 1, 2]
    rc, err = zscmr(capsys, 'train', 'regression', '--data', d, '--format', 'mat', '--cls-emb', d / 'E.npy', '--out', tmp_path / 'run')
    assert rc == 2 and '--label-base 0 or 1' in err, err


def _multilabel_file(tmp_path):
    d = make_synthetic(n_classes=8, n_per_class=20, d_img=16, d_txt=8, seed=0)
    Y = torch.nn.functional.one_hot(d.y_img, 8).bool(); Y[::5, (d.y_img[::5] + 2) % 8] = True
    m = CrossModalData(d.x_img, d.x_txt, Y, Y.clone(), d.cls_emb, None, d.train_img, d.train_txt, d.txt2img)
    save_npz(m, tmp_path / 'multi.npz')
    return tmp_path / 'multi.npz'


@pytest.mark.parametrize('method, config', [('regression', None), ('cca', {'n_components': 2}), ('aeir', TINY_AEIR)])
def test_10_multilabel_data_trains_every_method_that_takes_it(tmp_path, capsys, method, config):
    rc, err = train(capsys, tmp_path, _multilabel_file(tmp_path), method, tmp_path / 'run', config)
    assert rc == 0, err
    assert main(['eval', '--checkpoint', str(tmp_path / 'run')]) == 0


def test_10_multilabel_data_is_refused_by_cfsa_by_name(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(CFSA, 'fit', lambda *a, **k: pytest.fail('CFSA started training'))
    rc, err = train(capsys, tmp_path, _multilabel_file(tmp_path), 'cfsa', tmp_path / 'run', TINY_CFSA)
    assert rc == 2 and 'multi.npz: CFSA: multi-label data (items with several labels) is not supported' in err, err
    monkeypatch.undo()
    d = load_npz(_multilabel_file(tmp_path))
    with pytest.raises(DataError, match='CFSA: multi-label data'):
        CFSA(CFSAConfig(**TINY_CFSA, device='cpu')).fit(d, split_dadn(d), progress=False)


def test_10_ridge_targets_of_single_labels_are_unchanged():
    from zscmr.baselines import label_embeddings
    E = np.random.default_rng(0).random((4, 3)).astype(np.float32)
    y = torch.tensor([0, 3, 1]); Y = torch.nn.functional.one_hot(y, 4).bool()
    assert np.array_equal(label_embeddings(E, y), E[[0, 3, 1]]) and np.array_equal(label_embeddings(E, Y), E[[0, 3, 1]])
    assert np.allclose(label_embeddings(E, torch.tensor([[1, 0, 1, 0]]).bool()), (E[0] + E[2]) / 2)


# 11. numbers checked before they reach torch
def test_11_threads_beyond_the_cores_are_refused(tmp_path, data_file, capsys):
    rc, err = train(capsys, tmp_path, data_file, 'regression', tmp_path / 'run', None, '--threads', 100000)
    assert rc == 2 and f'--threads: expected 1 to {os.cpu_count()} (the cores here), got 100000' in err, err
    assert not (tmp_path / 'run').exists()


@pytest.mark.parametrize('value', [10**400, 10**39, 1e39])
def test_11_weights_must_be_finite_in_float32(tmp_path, data_file, capsys, value):
    (tmp_path / 'c.json').write_text(json.dumps(TINY_CFSA | dict(w_align=value)))
    rc, err = zscmr(capsys, 'train', 'cfsa', '--data', data_file, '--format', 'npz', '--out', tmp_path / 'run', '--config', tmp_path / 'c.json')
    assert rc == 2 and 'CFSAConfig.w_align: ' in err and 'does not fit float32 (abs(x) <= 3.4e38)' in err, err
    with pytest.raises(ValueError, match='AEIRConfig.lr: an int of 401 digits does not fit float32'): AEIRConfig(lr=10**400)


@pytest.mark.parametrize('field', ['x_img', 'x_txt', 'cls_emb'])
def test_11_zero_dimensional_features_are_refused(field):
    d = make_synthetic(n_classes=4, n_per_class=10, seed=0)
    arrs = dict(x_img=d.x_img, x_txt=d.x_txt, y_img=d.y_img, y_txt=d.y_txt, cls_emb=d.cls_emb, train_img=d.train_img,
                train_txt=d.train_txt, txt2img=d.txt2img)
    arrs[field] = arrs[field][:, :0]
    with pytest.raises(DataError, match=rf'{field}: 0 dimensions per item; expected at least 1'): CrossModalData(**arrs)


def test_11_map_of_float64_scores_beyond_float32_is_refused():
    from zscmr.metrics import mean_average_precision
    g = torch.Generator().manual_seed(0)
    z_q, z_g = torch.randn(30, 8, generator=g, dtype=torch.float64), torch.randn(40, 8, generator=g, dtype=torch.float64)
    y_q, y_g = torch.arange(30) % 3, torch.arange(40) % 3
    small = mean_average_precision(z_q, z_g, y_q, y_g, normalize=None)
    with pytest.raises(ValueError, match=r'query embeddings: values up to .*e\+300 do not fit float32'):
        mean_average_precision(z_q * 1e300, z_g, y_q, y_g, normalize=None)
    assert mean_average_precision(z_q * 1e30, z_g * 1e-30, y_q, y_g, normalize=None) == pytest.approx(small, abs=1e-6)


# 12. memory
def test_12_an_npz_that_unpacks_beyond_the_free_memory_is_refused_before_reading(tmp_path, monkeypatch):
    import zscmr.data as data_mod
    d = make_synthetic(n_classes=4, n_per_class=10, seed=0)
    arrs = {k: getattr(d, k).numpy() for k in ('x_img', 'x_txt', 'y_img', 'y_txt', 'cls_emb', 'train_img', 'train_txt', 'txt2img')}
    arrs['x_img'] = np.zeros((40, 2**17), np.float32)                   # 20 MiB of zeros, a few KiB compressed
    np.savez_compressed(tmp_path / 'bomb.npz', **arrs)
    assert (tmp_path / 'bomb.npz').stat().st_size < 2**20
    monkeypatch.setattr(data_mod, 'free_cpu_bytes', lambda: 2**24)
    read, real = [], np.lib.npyio.NpzFile.__getitem__
    monkeypatch.setattr(np.lib.npyio.NpzFile, '__getitem__', lambda self, k: read.append(k) or real(self, k))
    with pytest.raises(MemoryError, match=r"bomb.npz: its arrays unpack to 20.0 MiB \('x_img': 20.0 MiB\) but only 16.0 MiB is free"):
        load_npz(tmp_path / 'bomb.npz')
    assert read == []
    monkeypatch.setattr(data_mod, 'free_cpu_bytes', lambda: 2**30)
    assert load_npz(tmp_path / 'bomb.npz').x_img.shape == (40, 2**17)


def test_12_evaluation_of_120k_items_is_not_refused_for_a_product_it_never_allocates(monkeypatch):
    from zscmr.cli import check_retrieval_memory, evaluation_bytes
    d = make_synthetic(n_classes=10, n_per_class=12000, d_img=4, d_txt=4, seed=0)
    monkeypatch.setattr(train_mod, 'free_memory', lambda device: 2**30)
    check_retrieval_memory(d)                                          # the old 16 × queries × gallery said 40 GiB
    assert evaluation_bytes(d) < 2**29


MEASURE = """
import os, sys, threading, time, gc, json, torch
torch.set_num_threads(int(sys.argv[2]))
from zscmr.data import make_synthetic, split_dadn
from zscmr.baselines import RidgeRegression
from zscmr.cli import evaluation_bytes
def rss(): return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
d = make_synthetic(n_classes=10, n_per_class=int(sys.argv[1]), d_img=64, d_txt=32, seed=0)
s = split_dadn(d, n_val=2); m = RidgeRegression(1.0).fit(d, s)
gc.collect(); base = rss(); peak = [base]; stop = []
def watch():
    while not stop: peak[0] = max(peak[0], rss()); time.sleep(0.001)
t = threading.Thread(target=watch); t.start(); m.evaluate(d, s); stop.append(1); t.join()
print(json.dumps([peak[0] - base, evaluation_bytes(d)]))
"""


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists('/proc/self/statm'), reason='measures memory through /proc (Linux)')
@pytest.mark.parametrize('n_per_class, threads', [(500, 1), (2000, 2)])
def test_12_the_evaluation_estimate_is_within_2x_of_the_measured_peak(n_per_class, threads):
    r = subprocess.run([sys.executable, '-c', MEASURE, str(n_per_class), str(threads)], capture_output=True, text=True,
                       env=os.environ | dict(OMP_NUM_THREADS=str(threads)), timeout=300)
    assert r.returncode == 0, r.stderr
    measured, estimate = json.loads(r.stdout.strip().splitlines()[-1])
    assert measured / 2 <= estimate <= measured * 2, (measured / 2**20, estimate / 2**20)


MEASURE_TRAINING = """
import os, sys, threading, time, gc, json, torch
torch.set_num_threads(1)
import zscmr.cfsa as C, zscmr.transfer as T
from zscmr.data import make_synthetic, split_dadn
def rss(): return int(open('/proc/self/statm').read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
est = []
for mod in (C, T):
    real = mod.check_memory
    mod.check_memory = lambda n, dev, what, real=real: (est.append(n), real(n, dev, what))[1]
which, d_img, d_txt, h = sys.argv[1], *map(int, sys.argv[2:5])
d = make_synthetic(n_classes=10, n_per_class=200, d_img=d_img, d_txt=d_txt, seed=0)
gc.collect(); base = rss(); peak = [base]; stop = []
def watch():
    while not stop: peak[0] = max(peak[0], rss()); time.sleep(0.005)
t = threading.Thread(target=watch); t.start()
if which == 'cfsa': C.CFSA(C.CFSAConfig(epochs=2, d_hidden=h, device='cpu', refit=False)).fit(d, split_dadn(d, n_val=2), progress=False)
else: T.AEIR(T.AEIRConfig(epochs=2, source_epochs=1, warmup_epochs=1, d_hidden=h, device='cpu')).fit(T.class_disjoint(d, [0, 1, 2, 3, 4]), progress=False)
stop.append(1); t.join()
print(json.dumps([peak[0] - base, max(est)]))
"""


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists('/proc/self/statm'), reason='measures memory through /proc (Linux)')
@pytest.mark.parametrize('args', [('cfsa', 256, 128, 256), ('cfsa', 2048, 1024, 512), ('aeir', 256, 128, 256), ('aeir', 2048, 1024, 512)])
def test_12_the_training_estimate_is_within_2x_of_the_measured_peak(args):
    r = subprocess.run([sys.executable, '-c', MEASURE_TRAINING, *map(str, args)], capture_output=True, text=True,
                       env=os.environ | dict(OMP_NUM_THREADS='1'), timeout=300)
    assert r.returncode == 0, r.stderr
    measured, estimate = json.loads(r.stdout.strip().splitlines()[-1])
    assert measured / 2 <= estimate <= measured * 2, (measured / 2**20, estimate / 2**20)
