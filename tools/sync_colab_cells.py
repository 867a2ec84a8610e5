"""Write every notebook's Open-in-Colab badge and Colab install cell from settings.ini, so that the repository URL and
the extras the notebooks need are stated once (`user`, `repo`, `branch`, `lib_name` and `colab_extras` there).

The badge is the first markdown cell holding `colab-badge.svg`; the install cell is the first code cell mentioning
`google.colab`. Both keep their cell ids. `nbs/index.ipynb` (the README and home page) has neither.

Usage: python tools/sync_colab_cells.py [--check]    (--check: exit 1, naming them, if any notebook differs)
"""
import json, sys
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def settings(root=ROOT) -> dict:
    "The [DEFAULT] section of settings.ini, interpolated."
    cfg = ConfigParser(delimiters=['=']); cfg.read(Path(root) / 'settings.ini', encoding='utf-8')
    return dict(cfg['DEFAULT'])


def notebooks(root=ROOT) -> list:
    "Every notebook that opens in Colab: all of nbs/ but the index and Jupyter's checkpoints."
    nbs = Path(root) / 'nbs'
    return sorted(p for p in nbs.rglob('*.ipynb') if p.name != 'index.ipynb' and '.ipynb_checkpoints' not in p.parts)


def install_spec(cfg: dict) -> str:
    "What the install cell hands to pip, e.g. `zscmr[nb,embed] @ git+https://github.com/zscmr/zscmr`."
    return f"{cfg['lib_name']}[{cfg['colab_extras']}] @ git+https://github.com/{cfg['user']}/{cfg['repo']}"


def badge_source(rel: str, cfg: dict) -> str:
    "Markdown of the Open-in-Colab badge for the notebook at `nbs/rel`."
    url = f"https://colab.research.google.com/github/{cfg['user']}/{cfg['repo']}/blob/{cfg['branch']}/nbs/{rel}"
    return f'[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})'


def local_install(cfg: dict) -> str:
    "What the install cell prints outside Colab: the shell command that installs the same (torch first, as the README says)."
    return (f"Not on Colab, so nothing was installed. Once, in a shell (torch first, as the README says): "
            f"pip install '{install_spec(cfg)}' (in a clone: pip install -e '.[{cfg['colab_extras']}]'); "
            "add ipywidgets for notebook progress bars (without it tqdm warns and draws text bars)")


def install_source(cfg: dict) -> str:
    "Source of the hidden install cell: on Colab, pip-installs the package with the notebooks' extras; torch is Colab's own."
    return ('#| hide\n#| eval: false\n'
            f"# On Colab: install {cfg['lib_name']} from GitHub with what the notebooks import ([{cfg['colab_extras']}]; Colab's torch is kept),\n"
            '# and report the GPU. Elsewhere it installs nothing and prints the shell command\n'
            '# that does. Skipped by nbdev_test and hidden in the docs.\n'
            'import sys, subprocess\n'
            "if 'google.colab' in sys.modules:\n"
            f"    subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '{install_spec(cfg)}'], check=True)\n"
            f"else: print({local_install(cfg)!r})\n"
            'import torch\n'
            "print('GPU:', torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'none (CPU only)')")


def _find(cells, kind, needle):
    return next((c for c in cells if c['cell_type'] == kind and needle in ''.join(c['source'])), None)


def synced(nb: dict, rel: str, cfg: dict) -> dict:
    "The notebook `nb` (a dict) with its badge and install cell rewritten from `cfg`."
    badge, install = _find(nb['cells'], 'markdown', 'colab-badge.svg'), _find(nb['cells'], 'code', 'google.colab')
    if badge is None or install is None:
        raise ValueError(f"nbs/{rel}: no {'Colab badge cell' if badge is None else 'Colab install cell'} to rewrite (add one after the title cell)")
    badge['source'] = badge_source(rel, cfg).splitlines(keepends=True)
    install['source'] = install_source(cfg).splitlines(keepends=True)
    return nb


def dumps(nb: dict) -> str:
    "The notebook as nbdev_clean writes it."
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + '\n'


def out_of_sync(root=ROOT, write=False) -> list:
    "Notebooks whose badge or install cell differs from settings.ini (rewritten in place when `write`)."
    cfg, stale = settings(root), []
    for p in notebooks(root):
        text = p.read_text(encoding='utf-8')
        want = dumps(synced(json.loads(text), p.relative_to(Path(root) / 'nbs').as_posix(), cfg))
        if want != text:
            stale.append(p)
            if write: p.write_text(want, encoding='utf-8')
    return stale


if __name__ == '__main__':
    check = '--check' in sys.argv
    stale = out_of_sync(write=not check)
    names = ', '.join(p.relative_to(ROOT).as_posix() for p in stale)
    if check:
        print(f'out of sync with settings.ini: {names}; run python tools/sync_colab_cells.py' if stale else 'every Colab badge and install cell matches settings.ini')
        sys.exit(1 if stale else 0)
    print(f'rewrote {names}' if stale else 'nothing to rewrite')
