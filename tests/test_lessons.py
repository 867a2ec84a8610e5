"""The method chapters read as lessons: short prose, the plain version before the optimised one, and no results table
typed into a page. (The lesson shape is described in the docs' lesson template.)"""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
LESSONS = ('02_synthesis', '03_alignment', '04_cfsa', '06_transfer')
MAX_WORDS = 1800


def cells(name):
    return json.loads((NBS / f'{name}.ipynb').read_text(encoding='utf-8'))['cells']


def src(c) -> str:
    return ''.join(c['source'])


def prose_words(name) -> int:
    "Whitespace-separated words over the markdown cells (code and outputs do not count)."
    return sum(len(src(c).split()) for c in cells(name) if c['cell_type'] == 'markdown')


def first(name, pattern) -> int:
    "Index of the first code cell matching `pattern` (a regex)."
    for i, c in enumerate(cells(name)):
        if c['cell_type'] == 'code' and re.search(pattern, src(c), flags=re.M): return i
    raise AssertionError(f'{name}: no code cell matches {pattern!r}')


@pytest.mark.parametrize('name', LESSONS)
def test_lesson_prose_fits_its_budget(name):
    assert prose_words(name) <= MAX_WORDS, f'{name}: {prose_words(name)} prose words, more than {MAX_WORDS}'


@pytest.mark.parametrize('name', LESSONS)
def test_lesson_ends_with_exercises_and_links_to_experiments(name):
    heads = [src(c).splitlines()[0] for c in cells(name) if c['cell_type'] == 'markdown' and src(c).strip()]
    assert '## Try it' in heads and '## Does it work?' in heads, f'{name}: lacks "Try it" or "Does it work?"'
    does = next(src(c) for c in cells(name) if src(c).startswith('## Does it work?'))
    assert 'experiments/' in does


def test_synthesis_shows_the_plain_penalty_before_the_closed_form():
    plain = first('02_synthesis', r'torch\.autograd\.grad\([\s\S]*^def critic_loss_plain')
    fast = first('02_synthesis', r'^#\| export[\s\S]*def _closed_form_terms')
    same = first('02_synthesis', r'critic_loss_plain\([\s\S]*wgan_gp_critic_loss\([\s\S]*test_close')
    assert plain < fast < same, (plain, fast, same)
    making_fast = next(i for i, c in enumerate(cells('02_synthesis')) if src(c).startswith('## Making it fast'))
    assert plain < making_fast


def test_cfsa_builds_the_phases_plainly_before_the_library_loop():
    nb = '04_cfsa'
    phases = [first(nb, rf'^def plain_{p}_step') for p in ('critic', 'generator', 'encoder')]
    calls = [first(nb, rf'^(?!def )[^\n]*\bplain_{p}_step\(') for p in ('critic', 'generator', 'encoder')]   # one cell per phase
    checked = first(nb, r'^\s*(if .*: )?assert a < b')                  # each phase's loss went down
    library = first(nb, r'^#\| export[\s\S]*def _(cfsa_)?epoch\(')
    same = first(nb, r'plain_iteration\([\s\S]*\._epoch\([\s\S]*test_close')
    assert max(phases) < calls[0] <= calls[1] <= calls[2] <= checked < library < same, (phases, calls, checked, library, same)
    assert 'torch.autograd.grad(' in src(cells(nb)[phases[0]]), 'the plain critic step takes its penalty from autograd'


FENCE = re.compile(r'^```.*?^```', flags=re.M | re.S)
INLINE_CODE = re.compile(r'`[^`\n]*`')            # an error message or a command quoted in a table is not a result
TABLE_ROW = re.compile(r'^\s*\|.*\|\s*$', flags=re.M)
DECIMAL = re.compile(r'(?<![\w.])\d+\.\d+')


def typed_results_tables():
    "(notebook, cell id, row) for every Markdown table row with a decimal number, outside fenced code (a command's transcript)."
    found = []
    for nb in sorted(NBS.rglob('*.ipynb')):
        if '.ipynb_checkpoints' in nb.parts: continue
        for c in json.loads(nb.read_text(encoding='utf-8'))['cells']:
            if c['cell_type'] != 'markdown': continue
            rows = [r for r in TABLE_ROW.findall(FENCE.sub('', src(c))) if DECIMAL.search(INLINE_CODE.sub('', r))]
            if rows: found.append((nb.relative_to(NBS).as_posix(), c.get('id'), rows[0].strip()))
    return found


def test_no_markdown_cell_carries_a_hand_typed_results_table():
    bad = typed_results_tables()
    assert not bad, 'render these tables from bench/results in a code cell (zscmr.results.markdown_table):\n' + '\n'.join(map(str, bad))


def test_the_typed_table_check_can_fail():
    "The detector finds a typed table and ignores a fenced transcript."
    text = 'Text\n\n| method | mAP |\n|---|---|\n| CFSA | 0.292 ± 0.018 |\n'
    assert DECIMAL.search(TABLE_ROW.findall(FENCE.sub('', text))[2])
    assert not TABLE_ROW.findall(FENCE.sub('', '```\n| CFSA | 0.292 |\n```\n'))
    assert not DECIMAL.search(INLINE_CODE.sub('', '| 3 | bad clip | `grad_clip: expected >= 0, got -1.0` |'))
