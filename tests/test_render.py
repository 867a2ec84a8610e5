"""What the documentation site will show, tested without Quarto (which these machines cannot install): each notebook
goes through nbdev's own processors (front matter, hidden cells, show_doc, exports removed), nbconvert turns it into
HTML, and headless Chromium renders the page; the page must show the title, the code and every plot the notebook has.
Screenshots of the index and of the two method chapters go to $ZSCMR_SCREENSHOTS (default: pytest's temporary folder).
`.ci/run` installs Debian's chromium; where it cannot be installed, these tests skip and say so."""
import base64, os, re, shutil, subprocess, warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT / 'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
CHROMIUM = next((shutil.which(n) for n in ('chromium', 'chromium-browser', 'google-chrome') if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs Debian's "
                                    "'chromium' package; on other machines: apt-get install chromium)")


def processed(nb_path: Path, cwd: Path = ROOT) -> dict:
    "The notebook as nbdev's docs pipeline hands it to Quarto (a plain dict), run from `cwd` (nbdev_docs: the repository root)."
    from execnb.nbio import nb2dict, read_nb
    from fastcore.xtras import working_directory
    from nbdev.processors import FilterDefaults
    nb = read_nb(nb_path)
    with working_directory(cwd), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        FilterDefaults().nb_proc(nb).process()
    return nb2dict(nb)


def front_matter(d: dict) -> dict:
    import yaml
    raw = next(c for c in d['cells'] if c['cell_type'] == 'raw' and ''.join(c['source']).startswith('---'))
    return yaml.safe_load(''.join(raw['source']).strip().strip('-'))


def to_html(d: dict, out: Path) -> Path:
    "HTML of the processed notebook; the YAML front matter becomes the title block, as Quarto renders it."
    import nbformat
    from nbconvert import HTMLExporter
    fm = front_matter(d)
    cells = [c for c in d['cells'] if not (c['cell_type'] == 'raw' and ''.join(c['source']).startswith('---'))]
    title = {'cell_type': 'markdown', 'metadata': {}, 'source': f"# {fm['title']}\n\n> {fm.get('description', '')}"}
    join = lambda v: ''.join(v) if isinstance(v, list) else v
    for c in cells:
        c['source'] = join(c['source'])
        for o in c.get('outputs', []):
            if 'text' in o: o['text'] = join(o['text'])
            for k, v in o.get('data', {}).items(): o['data'][k] = join(v)
    title = title | dict(id='title')
    nb = nbformat.from_dict(d | dict(cells=[title] + cells, nbformat=4, nbformat_minor=5))
    html, _ = HTMLExporter(template_name='lab', mathjax_url='').from_notebook_node(nb, resources={'metadata': {'name': fm['title']}})
    out.write_text(html, encoding='utf-8')
    return out


def chromium(*args, timeout=120) -> str:
    r = subprocess.run([CHROMIUM, '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                        '--virtual-time-budget=3000', *args], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def outputs_text(d: dict) -> str:
    "Every text a processed notebook shows as output."
    join = lambda v: ''.join(v) if isinstance(v, list) else (v or '')
    return '\n'.join(join(o.get('text')) + join(o.get('data', {}).get('text/plain')) + join(o.get('data', {}).get('text/markdown'))
                     for c in d['cells'] if c['cell_type'] == 'code' for o in c.get('outputs', []))


READS_RESULTS = [p for p in NBS if re.search(r'results_path\(|load_results\(', p.read_text(encoding='utf-8')) and p.name != '01c_results.ipynb']


def test_some_notebooks_read_stored_results():
    assert len(READS_RESULTS) >= 3


@pytest.mark.parametrize('cwd', ['.', 'nbs'], ids=['from the repository root', 'from nbs'])
@pytest.mark.parametrize('nb', READS_RESULTS, ids=lambda p: p.relative_to(ROOT / 'nbs').as_posix())
def test_docs_pipeline_finds_every_stored_result(nb, cwd):
    "The cells nbdev's docs processing runs (imports, exports, show_doc) find bench/results, wherever nbdev_docs starts."
    text = outputs_text(processed(nb, ROOT / cwd))
    missing = [l for l in text.splitlines() if re.search(r'(results|\.json|\.md)\S* is (absent|not here)', l)]
    assert not missing, f'{nb.name}: {missing}'


def n_plots(d: dict) -> int:
    return sum('image/png' in o.get('data', {}) or 'image/svg+xml' in o.get('data', {})
               for c in d['cells'] if c['cell_type'] == 'code' for o in c.get('outputs', []))


@pytest.mark.slow                       # a Chromium start per page: about two minutes in all
@needs_chromium
@pytest.mark.parametrize('nb', NBS, ids=lambda p: p.relative_to(ROOT / 'nbs').as_posix())
def test_page_renders_title_code_and_every_plot(nb, tmp_path):
    d = processed(nb)
    fm = front_matter(d)
    dom = chromium('--dump-dom', to_html(d, tmp_path / 'page.html').as_uri())
    assert f'<title>{fm["title"]}</title>' in dom.replace('&amp;', '&')
    h1 = re.search(r'<h1[^>]*>(.*?)</h1>', dom, re.S)
    assert h1 and re.sub(r'<[^>]+>|¶', '', h1.group(1)).replace('&amp;', '&').strip() == fm['title'].replace('`', ''), 'title block missing'
    code_cells = [c for c in d['cells'] if c['cell_type'] == 'code' and ''.join(c['source']).strip()]
    assert len(re.findall(r'jp-CodeCell', dom)) >= len(code_cells) > 0
    assert len(re.findall(r'<img[^>]+src="data:image/(png|svg)', dom)) >= n_plots(d), 'a plot is missing'
    assert 'nbdev.nbdev_export()' not in dom and '#| export' not in dom and '#| hide' not in dom   # hidden cells and directives are gone


@needs_chromium
@pytest.mark.parametrize('name', ['index.ipynb', '04_cfsa.ipynb', '06_transfer.ipynb'])
def test_screenshots_of_the_index_and_a_chapter(name, tmp_path):
    out = Path(os.environ.get('ZSCMR_SCREENSHOTS', tmp_path)); out.mkdir(parents=True, exist_ok=True)
    shot = out / name.replace('.ipynb', '.png')
    chromium(f'--screenshot={shot}', '--window-size=1280,1600', to_html(processed(ROOT / 'nbs' / name), tmp_path / 'p.html').as_uri())
    data = shot.read_bytes()
    assert data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) > 20_000, 'blank or missing screenshot'
