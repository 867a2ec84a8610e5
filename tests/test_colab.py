"""Colab, rehearsed. Every notebook's badge and install cell are written from settings.ini (tools/sync_colab_cells.py);
the slow test plays a Colab user: it builds the wheel, installs it with the install cell's extras into a fresh virtual
environment outside the repository (torch first, as Colab has it), and runs a copy of every notebook, outside the
repository, at test size (`IN_TEST`, the cells nbdev_test runs)."""
import json, os, re, runpy, shutil, subprocess, sys, tempfile, time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SYNC = runpy.run_path(str(ROOT / 'tools' / 'sync_colab_cells.py'))
CFG = SYNC['settings'](ROOT)
NOTEBOOKS = SYNC['notebooks'](ROOT)


def install_cell(nb: Path) -> str:
    return next(''.join(c['source']) for c in json.loads(nb.read_text(encoding='utf-8'))['cells']
                if c['cell_type'] == 'code' and 'google.colab' in ''.join(c['source']))


def install_extras(nb: Path) -> list:
    "The extras the notebook's install cell asks pip for."
    m = re.search(rf"'{CFG['lib_name']}\[([\w,]+)\] @ git\+(\S+?)'", install_cell(nb))
    assert m, f'{nb.name}: the install cell does not pip-install {CFG["lib_name"]}[...] from git'
    return m.group(1).split(',')


def test_every_badge_and_install_cell_matches_settings():
    stale = SYNC['out_of_sync'](ROOT)
    assert not stale, f'{[p.name for p in stale]} differ from settings.ini: run python tools/sync_colab_cells.py'


def test_sync_rewrites_a_stale_cell(tmp_path):
    (tmp_path / 'nbs').mkdir(); shutil.copy(ROOT / 'settings.ini', tmp_path)
    nb = json.loads(NOTEBOOKS[0].read_text(encoding='utf-8'))
    install = next(c for c in nb['cells'] if c['cell_type'] == 'code' and 'google.colab' in ''.join(c['source']))
    install['source'] = ''.join(install['source']).replace(f'https://github.com/{CFG["user"]}/', 'https://github.com/someone-else/')
    (tmp_path / 'nbs' / 'a.ipynb').write_text(json.dumps(nb), encoding='utf-8')
    assert SYNC['out_of_sync'](tmp_path, write=True) == [tmp_path / 'nbs' / 'a.ipynb']
    assert SYNC['out_of_sync'](tmp_path) == []
    assert 'someone-else' not in (tmp_path / 'nbs' / 'a.ipynb').read_text(encoding='utf-8')


def test_sync_names_a_notebook_without_an_install_cell(tmp_path):
    nb = {'cells': [{'cell_type': 'markdown', 'id': 'x', 'metadata': {}, 'source': '# A title'}], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}
    with pytest.raises(ValueError, match='a.ipynb: no Colab badge cell'): SYNC['synced'](nb, 'a.ipynb', CFG)


def test_install_cells_ask_for_extras_that_exist():
    "Each extra the install cells name is one setup.py defines from settings.ini, and `nb` brings nbdev's stack."
    setup_py = (ROOT / 'setup.py').read_text(encoding='utf-8')
    for extra in install_extras(NOTEBOOKS[0]):
        assert f"'{extra}': {extra}_requirements" in setup_py and CFG.get(f'{extra}_requirements'), f'extra [{extra}] is not defined'
    assert 'nb' in install_extras(NOTEBOOKS[0])
    assert {r.split('<')[0].split('=')[0] for r in CFG['nb_requirements'].split()} >= {'nbdev', 'fastcore', 'execnb', 'ghapi'}


def _clean_env(venv: Path) -> dict:
    "The environment of a fresh shell with `venv` active: nothing that points back at the repository."
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV', 'ZSCMR_RESULTS', 'ZSCMR_WIKIPEDIA', 'PYTHONHOME')}
    return env | {'PATH': f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", 'VIRTUAL_ENV': str(venv), 'MPLBACKEND': 'Agg',
                  'HF_HUB_OFFLINE': env.get('HF_HUB_OFFLINE', '1'), 'PIP_DISABLE_PIP_VERSION_CHECK': '1'}


def _run(cmd, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{(r.stdout + r.stderr)[-4000:]}"
    return r.stdout


RUN_ONE = """import sys
from pathlib import Path
from nbdev.test import test_nb
ok, secs = test_nb(Path(sys.argv[1]).resolve(), skip_flags=sys.argv[2].split())
print(f'{sys.argv[1]}: {"passed" if ok else "FAILED"} in {secs:.0f} s')
sys.exit(0 if ok else 1)
"""


@pytest.mark.slow
def test_every_notebook_runs_as_on_colab():
    import torch
    work = Path(tempfile.mkdtemp(prefix='zscmr-colab-'))
    assert ROOT not in work.parents
    try:
        t0 = time.time()
        src = work / 'src'                             # build from a copy, so the checkout gets no build/ or egg-info
        shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns('.git', '.venv', '_proc', '_docs', 'build', 'dist', '*.egg-info',
                                                                 '__pycache__', '.pytest_cache', '.hypothesis', 'bench', 'nbs', 'tests'))
        _run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', '-w', work / 'dist', src])
        wheel = next((work / 'dist').glob(f"{CFG['lib_name']}-*.whl"))
        venv = work / 'venv'
        _run([sys.executable, '-m', 'venv', venv])
        env, py = _clean_env(venv), venv / 'bin' / 'python'
        torch_version = torch.__version__.split('+')[0]  # the CPU build here; an unpinned torch would pull CUDA builds
        _run([py, '-m', 'pip', 'install', '-q', f'torch=={torch_version}'], env=env, cwd=work)
        extras = install_extras(NOTEBOOKS[0])
        _run([py, '-m', 'pip', 'install', '-q', f"{wheel}[{','.join(extras)}]"], env=env, cwd=work)
        where = _run([py, '-c', f"import {CFG['lib_name']} as m; print(m.__file__)"], env=env, cwd=work).strip()
        assert str(venv) in where, f'the package was imported from {where}, not from the installed wheel'
        installed = time.time()

        nbs = work / 'nbs'                             # the notebooks alone, outside the repository
        for nb in NOTEBOOKS:
            (nbs / nb.relative_to(ROOT / 'nbs')).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(nb, nbs / nb.relative_to(ROOT / 'nbs'))
        (work / 'run_one.py').write_text(RUN_ONE)
        failed, log = [], []
        for nb in NOTEBOOKS:
            rel = nb.relative_to(ROOT / 'nbs')
            assert extras == install_extras(nb), f'{rel}: its install cell asks for other extras'
            r = subprocess.run([py, work / 'run_one.py', nbs / rel, CFG.get('tst_flags', '')], env=env, cwd=nbs / rel.parent,
                               capture_output=True, text=True, timeout=3600)
            log.append(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else f'{rel}: no output')
            if r.returncode: failed.append(f'{rel}:\n{(r.stdout + r.stderr)[-3000:]}')
        print(f'Colab rehearsal: wheel built and installed in {installed - t0:.0f} s, {len(NOTEBOOKS)} notebooks run in '
              f'{time.time() - installed:.0f} s\n' + '\n'.join(log))
        assert not failed, 'notebooks that fail as on Colab:\n\n' + '\n\n'.join(failed)
    finally:
        shutil.rmtree(work, ignore_errors=True)
