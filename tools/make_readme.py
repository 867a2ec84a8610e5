"""Write README.md from nbs/index.ipynb, the single source of both (nbdev_readme needs Quarto, which not every
machine has). Markdown cells are copied, code cells become ```python blocks, cells with a `#| hide` or `#| eval: false`
directive are left out, and links to pages (`NN_name.html`, `course.html`, `experiments/…`, `tutorials/…`) point at the notebooks instead.

Usage: python tools/make_readme.py [--check]    (--check: exit 1 if README.md differs from what it would write)
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render(nb_path=ROOT / 'nbs' / 'index.ipynb') -> str:
    cells = json.loads(Path(nb_path).read_text(encoding='utf-8'))['cells']
    parts = []
    for c in cells:
        src = ''.join(c['source']).strip()
        if not src or re.search(r'^#\|\s*(hide|eval:\s*false)', src, flags=re.M): continue
        if c['cell_type'] == 'markdown': parts.append(src)
        elif c['cell_type'] == 'code': parts.append('```python\n' + src + '\n```')
    text = '\n\n'.join(parts) + '\n'
    return re.sub(r'\]\(((?:experiments/|tutorials/)?\w+)\.html\)', r'](nbs/\1.ipynb)', text)


if __name__ == '__main__':
    want, readme = render(), ROOT / 'README.md'
    if '--check' in sys.argv:
        same = readme.exists() and readme.read_text(encoding='utf-8') == want
        print('README.md is in sync with nbs/index.ipynb' if same else 'README.md differs from nbs/index.ipynb: run python tools/make_readme.py')
        sys.exit(0 if same else 1)
    readme.write_text(want, encoding='utf-8')
    print(f'wrote {readme}')
