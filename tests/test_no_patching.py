"The studies in bench/ change the library only through its hooks: no script rebinds a zscmr attribute or reads a private name."
import ast
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / 'bench'


def _root(node):
    "The name an attribute chain starts from (`a` in `a.b.c`), or None."
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)): node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def patching(source: str) -> list:
    """Where `source` rebinds an attribute of a zscmr module, class or object, or reads a private name, as 'line: what'.
    Names count as zscmr's when imported from zscmr or assigned from an expression that starts from one."""
    tree, ours, found = ast.parse(source), {'zscmr'}, []
    for node in ast.walk(tree):                          # imports first: a function may use a module imported later
        if isinstance(node, ast.Import):
            ours |= {(a.asname or a.name.split('.')[0]) for a in node.names if a.name.split('.')[0] == 'zscmr'}
        elif isinstance(node, ast.ImportFrom) and (node.module or '').split('.')[0] == 'zscmr':
            ours |= {a.asname or a.name for a in node.names}
            found += [f'{node.lineno}: imports the private {a.name}' for a in node.names if a.name.startswith('_')]
    for _ in range(3):                                   # names bound to zscmr things, through chains of assignments
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and _root(node.value) in ours:
                ours |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        targets = (node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        for t in targets:
            for el in (t.elts if isinstance(t, ast.Tuple) else [t]):
                if isinstance(el, ast.Attribute) and _root(el) in ours: found.append(f'{node.lineno}: assigns {ast.unparse(el)}')
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ('setattr', 'delattr') and node.args \
                and _root(node.args[0]) in ours:
            found.append(f'{node.lineno}: {ast.unparse(node)}')
        if isinstance(node, ast.Attribute) and node.attr.startswith('_') and not node.attr.startswith('__'):
            found.append(f'{node.lineno}: reads the private {ast.unparse(node)}')
    return sorted(set(found), key=lambda s: int(s.split(':')[0]))


@pytest.mark.parametrize('script', sorted(p.name for p in BENCH.glob('*.py')))
def test_bench_script_uses_hooks_not_patches(script):
    assert patching((BENCH / script).read_text(encoding='utf-8')) == []


@pytest.mark.parametrize('source', [
    "import zscmr.transfer as T\nT.confusion_loss = lambda D, a, b: 0",                   # rebinding a function
    "import zscmr.cfsa as C\nC._Nets.__init__, C.optimizer_step = 1, 2",                 # a class's method, in a tuple
    "from zscmr.transfer import AEIR\ndef f():\n    AEIR._epoch = None",                # inside a function
    "from zscmr.cfsa import CFSA\nm = CFSA()\nm.d_emb = 3",                              # an attribute of a model
    "from zscmr.cfsa import CFSA\nm = CFSA()\nm._run(1)",                                # a private method
    "from zscmr.benchmark import _plot_pr",                                              # a private import
    "import zscmr.data\nsetattr(zscmr.data, 'load_digits', None)",
])
def test_patching_is_found(source):
    assert patching(source), source


def test_plain_use_is_not_patching():
    assert patching("from zscmr.cfsa import CFSA\nm = CFSA(seed=1)\nx = m.best_epoch\nopt = {}\nopt['lr'] = 2") == []
