"Every name a module exports is usable as it stands: a function or class one can call, or a constant."
import importlib, pkgutil

import pytest

import zscmr

MODULES = sorted(m.name for m in pkgutil.iter_modules(zscmr.__path__) if not m.name.startswith('_'))
CONSTANT = (str, int, float, tuple, frozenset, dict)


@pytest.mark.parametrize('module', MODULES)
def test_exported_names_are_callable_or_constants(module):
    mod = importlib.import_module(f'zscmr.{module}')
    for name in getattr(mod, '__all__', []):
        obj = getattr(mod, name)                                  # AttributeError: exported but not defined
        assert not isinstance(obj, (classmethod, staticmethod, property)), f'zscmr.{module}.{name} is a bare {type(obj).__name__}'
        assert callable(obj) or isinstance(obj, CONSTANT), f'zscmr.{module}.{name}: {type(obj).__name__}'


def test_model_methods_are_not_module_functions():
    import zscmr.cfsa as cfsa, zscmr.transfer as transfer
    for mod, names in ((cfsa, ('fit', 'evaluate', 'save', 'load')), (transfer, ('aeir_fit', 'aeir_evaluate', 'aeir_save', 'aeir_load'))):
        assert not set(names) & set(mod.__all__)
    assert cfsa.CFSA.load.__self__ is cfsa.CFSA and transfer.AEIR.load.__self__ is transfer.AEIR   # classmethods
