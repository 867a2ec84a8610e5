"""Collapse the progress bars stored in notebook outputs to their final line. tqdm redraws a bar by writing `\\r` and
the new state; a saved output keeps every redraw, and the docs page then shows each one. Here each line of a stream
output keeps only its last redraw that is not blank (a bar that clears itself when done ends with a blank one): one
final line per bar, showing its totals and time. The warning tqdm prints where a kernel lacks ipywidgets ("IProgress not
found") says something about the machine that ran the notebook, not about the notebook: it goes too.

Usage: python tools/clean_progress.py [--check] [NOTEBOOK ...]   (default: every notebook under nbs/;
       --check: exit 1, naming them, if any notebook holds a bar's redraws)
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TQDM_WARNING = 'TqdmWarning: IProgress not found'


def final_line(line: str) -> str:
    "The last redraw of `line` (the parts between carriage returns) that is not blank, or '' when all are."
    return next((part for part in reversed(line.split('\r')) if part.strip()), '')


def final_lines(text: str) -> str:
    "`text` with each bar reduced to its final line; lines that were only redraws of a cleared bar go."
    lines = [final_line(l) if '\r' in l else l for l in text.split('\n')]
    return '\n'.join(l for l, orig in zip(lines, text.split('\n')) if l or '\r' not in orig)


def without_tqdm_warning(text: str) -> str:
    "`text` without tqdm's missing-ipywidgets warning: its line and the source line Python prints under it."
    lines = text.splitlines(keepends=True)
    drop = {i for i, l in enumerate(lines) if TQDM_WARNING in l}
    drop |= {i + 1 for i in drop if i + 1 < len(lines) and lines[i + 1].lstrip().startswith('from .autonotebook')}
    return ''.join(l for i, l in enumerate(lines) if i not in drop)


def joined(text) -> str:
    "A stream output's text as one string (notebooks store it as a string or as a list of lines)."
    return ''.join(text) if isinstance(text, list) else text


def coalesced(outputs: list) -> list:
    "Consecutive stream outputs of the same stream joined into one, as Jupyter shows them (a kernel may send each redraw apart)."
    outs = []
    for out in outputs:
        prev = outs[-1] if outs else None
        if out.get('output_type') == 'stream' and prev and prev.get('output_type') == 'stream' and prev['name'] == out['name']:
            outs[-1] = dict(prev, text=(joined(prev['text']) + joined(out['text'])).splitlines(keepends=True))
        else: outs.append(out)
    return outs


def collapsed(nb: dict) -> dict:
    "The notebook `nb` (a dict) with every stream output's progress redraws collapsed."
    for cell in nb['cells']:
        outs = []
        for out in coalesced(cell.get('outputs', [])):
            if out.get('output_type') == 'stream':
                text = joined(out['text'])
                kept = final_lines(without_tqdm_warning(text))       # both leave text without bars or the warning as it is
                if kept != text:
                    if not kept.strip(): continue
                    out['text'] = kept.splitlines(keepends=True)
            outs.append(out)
        if 'outputs' in cell: cell['outputs'] = outs
    return nb


def notebooks(root=ROOT) -> list:
    return sorted(p for p in (Path(root) / 'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)


def with_redraws(paths, write=False) -> list:
    "The notebooks among `paths` whose outputs hold progress redraws (collapsed in place when `write`)."
    found = []
    for p in paths:
        text = p.read_text(encoding='utf-8')
        nb = json.loads(text)
        want = json.dumps(collapsed(nb), sort_keys=True, indent=1, ensure_ascii=False) + '\n'
        if json.loads(want) != json.loads(text):
            found.append(p)
            if write: p.write_text(want, encoding='utf-8')
    return found


if __name__ == '__main__':
    args = [a for a in sys.argv[1:] if a != '--check']
    check = '--check' in sys.argv
    found = with_redraws([Path(a) for a in args] or notebooks(), write=not check)
    names = ', '.join(str(p) for p in found)
    if check:
        print(f'progress redraws stored in {names}: run python tools/clean_progress.py' if found else 'no notebook stores progress redraws')
        sys.exit(1 if found else 0)
    print(f'collapsed progress output in {names}' if found else 'nothing to collapse')
