"Documentation hygiene: every exported public name has a docstring; README and index stay in sync."
import importlib, inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p.stem for p in (ROOT / 'zscmr').glob('*.py') if not p.stem.startswith('_'))


def public_objects():
    for name in MODULES:
        mod = importlib.import_module(f'zscmr.{name}')
        for attr in getattr(mod, '__all__', []):
            if attr.startswith('_'): continue
            obj = getattr(mod, attr)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f'zscmr.{name}.{attr}', obj
                if inspect.isclass(obj):
                    for k, v in vars(obj).items():
                        f = v.__func__ if isinstance(v, (classmethod, staticmethod)) else v
                        if not k.startswith('_') and inspect.isfunction(f):
                            yield f'zscmr.{name}.{attr}.{k}', f


def test_every_exported_public_name_has_a_docstring():
    missing = [n for n, o in public_objects() if not (o.__doc__ or '').strip()]
    assert not missing, f'exported public names without a docstring: {missing}'


def test_there_is_something_to_check():
    assert len(list(public_objects())) > 50


def test_readme_is_generated_from_the_index_notebook():
    import runpy
    render = runpy.run_path(str(ROOT / 'tools' / 'make_readme.py'))['render']
    assert (ROOT / 'README.md').read_text(encoding='utf-8') == render(), \
        'README.md has drifted from nbs/index.ipynb: edit the notebook, then run python tools/make_readme.py'


def test_readme_keeps_the_two_commands():
    text = (ROOT / 'README.md').read_text(encoding='utf-8')
    assert 'pip install -e ".[dev]" && zscmr demo' in text
    assert '<!-- test-command -->\n```sh\nnbdev_test --n_workers 2 && pytest\n```' in text


NOTEBOOKS = sorted((ROOT / 'nbs').rglob('*.ipynb'))
NOTEBOOKS = [p for p in NOTEBOOKS if '.ipynb_checkpoints' not in p.parts]


def _cells(nb):
    import json
    return json.loads(nb.read_text(encoding='utf-8'))['cells']


@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.relative_to(ROOT / 'nbs').as_posix())
def test_markdown_cells_are_markdown_not_commented_code(nb):
    "Guards a bug we had: markdown written with a '# ' comment prefix on every line renders as a wall of headings."
    for c in _cells(nb):
        if c['cell_type'] != 'markdown': continue
        lines = [l for l in ''.join(c['source']).splitlines() if l.strip()]
        assert sum(l.startswith('# ') for l in lines) <= 1, f"{nb.name}: markdown cell with '# '-prefixed lines: {lines[:2]}"


@pytest.mark.parametrize('nb', [p for p in NOTEBOOKS if p.name != 'index.ipynb'], ids=lambda p: p.relative_to(ROOT / 'nbs').as_posix())
def test_chapters_open_in_colab_with_a_link_built_from_settings(nb):
    from configparser import ConfigParser
    cfg = ConfigParser(); cfg.read(ROOT / 'settings.ini')
    user, repo, branch = cfg['DEFAULT']['user'], cfg['DEFAULT']['repo'], cfg['DEFAULT']['branch']
    url = f'https://colab.research.google.com/github/{user}/{repo}/blob/{branch}/nbs/{nb.relative_to(ROOT / "nbs").as_posix()}'
    text = ''.join(''.join(c['source']) for c in _cells(nb)[:3])
    assert url in text, f'{nb.name}: no Open-in-Colab badge linking {url}'
    assert 'google.colab' in text and '#| eval: false' in text and '#| hide' in text


def test_sidebar_lists_every_notebook_once():
    import re
    listed = re.findall(r'-\s+(\S+\.ipynb)', (ROOT / 'nbs' / 'sidebar.yml').read_text())
    assert sorted(listed) == sorted(p.relative_to(ROOT / 'nbs').as_posix() for p in NOTEBOOKS)
