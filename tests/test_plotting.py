"One plot style across the course: notebooks draw through `zscmr.plotting` and apply its style; methods keep their colour."
import re
from pathlib import Path

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest

from zscmr.plotting import METHOD_COLORS, PALETTE, method_color, plot_bars, plot_history, plot_pr, scatter_groups, style_rc, use_style

NBS = Path(__file__).parents[1] / 'nbs'
NOTEBOOKS = sorted(p for p in NBS.rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
LIBRARY = sorted((Path(__file__).parents[1] / 'zscmr').glob('*.py'))
DRAWS = re.compile(r'\bsubplots\(|\bplot_\w+\(|\.scatter\(|\.plot\(')


def code(nb_path):
    return [c.source for c in nbformat.read(nb_path, as_version=4).cells if c.cell_type == 'code']


@pytest.mark.parametrize('path', NOTEBOOKS + LIBRARY, ids=lambda p: p.name)
def test_figures_are_made_through_the_shared_helpers(path):
    "Only the plotting module creates figures with matplotlib directly; everyone else uses `zscmr.plotting.subplots`."
    if path.name in ('01b_plotting.ipynb', 'plotting.py'): return
    src = '\n'.join(code(path)) if path.suffix == '.ipynb' else path.read_text()
    assert not re.search(r'plt\.(subplots|figure)\(', src), f'{path.name}: use zscmr.plotting.subplots for the shared style'


@pytest.mark.parametrize('path', NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_that_draw_apply_the_style_first(path):
    cells = [c for c in code(path) if '#| export' not in c and not c.startswith('#| hide')]
    first_draw = next((i for i, c in enumerate(cells) if DRAWS.search(c)), None)
    if first_draw is None: return
    styled = next((i for i, c in enumerate(cells) if re.search(r'^use_style\(\)', c, re.M)), None)
    assert styled is not None and styled < first_draw, f'{path.name}: call use_style() before the first plot'


def test_a_method_has_one_colour_under_its_long_and_short_names():
    assert method_color('ridge regression') == method_color('ridge regression (DeViSE-style)') == METHOD_COLORS['ridge regression (DeViSE-style)']
    assert method_color('AEIR (adversarial + structure)') == METHOD_COLORS['AEIR']
    assert method_color('some new method') in PALETTE


def test_plot_helpers_use_method_colours_and_direction_line_styles():
    use_style()
    fig, ax = plt.subplots(1, 3)
    r = np.linspace(0, 1, 5)
    plot_pr({'CCA': {'i2t': (r, r), 't2i': (r, r)}, 'CFSA': {'t2i': (r, r)}}, ax[0])
    assert [(l.get_color(), l.get_linestyle()) for l in ax[0].lines] == [
        (METHOD_COLORS['CCA'], '-'), (METHOD_COLORS['CCA'], '--'), (METHOD_COLORS['CFSA'], '--')]
    plot_bars({'CFSA': [1, 2], 'CCA': [3, 4]}, ['a', 'b'], ax[1])
    assert matplotlib.colors.to_hex(ax[1].patches[0].get_facecolor()) == METHOD_COLORS['CFSA']
    with pytest.raises(ValueError, match='CFSA: 1 values for 2 labels'): plot_bars({'CFSA': [1]}, ['a', 'b'], ax[1])
    plot_history([dict(epoch=1, a=1.0), dict(epoch=2, a=0.5, b=0.1)], ('a', 'b', 'missing'), ax[2])
    assert [len(l.get_xdata()) for l in ax[2].lines] == [2, 1]
    plt.close(fig)


def test_scatter_groups_hides_ticks_and_skips_empty_groups():
    fig, ax = plt.subplots()
    p = np.random.default_rng(0).normal(size=(6, 2))
    scatter_groups(ax, p, [(np.arange(6) < 3, 'a', PALETTE[0], 'o'), (np.zeros(6, bool), 'empty', PALETTE[1], 'x')])
    assert len(ax.collections) == 1 and ax.get_xticks().size == 0
    plt.close(fig)


def test_style_is_the_seaborn_white_grid_with_the_palette():
    rc = style_rc()
    assert rc['axes.grid'] is True and rc['axes.prop_cycle'].by_key()['color'][:3] == list(PALETTE[:3])


def test_a_label_enters_the_legend_once():
    fig, ax = plt.subplots()
    p = np.arange(8.0).reshape(4, 2)
    scatter_groups(ax, p, [(np.array([1, 1, 0, 0], bool), 'nine', PALETTE[0], 'o'), (np.array([0, 0, 1, 1], bool), 'nine', PALETTE[0], 'x')])
    assert [t.get_text() for t in ax.legend().get_texts()] == ['nine']
    plt.close(fig)
