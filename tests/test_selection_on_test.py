"""The studies of what choosing on the test classes is worth (bench/studies.py): both rules, the same methods, the curve kept."""
import dataclasses, sys
from pathlib import Path

from zscmr.experiments import run_job

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'bench'))
import studies  # noqa: E402  (bench/studies.py)


def test_selection_studies_compare_the_two_rules():
    digits, wiki = studies.selection_on_test(), studies.selection_on_test_wikipedia('/data/wikipedia')
    for s in (digits, wiki):
        assert set(s.variants) == {'chosen on validation', 'chosen on test'} and s.splits == ('dadn',)
        assert s.methods == ('CFSA', 'ridge regression (DeViSE-style)', 'CCA')
        assert s.variants['chosen on test'].select_on == 'test' and s.variants['chosen on test'].config == {'eval_every': 1}
    assert wiki.dataset == {'name': 'wikipedia', 'path': '/data/wikipedia', 'preprocess': None}
    assert studies.wikipedia_needed('selection_on_test_wikipedia') and not studies.wikipedia_needed('selection_on_test')


def test_choosing_on_test_keeps_the_best_of_its_curve():
    study = dataclasses.replace(studies.selection_on_test(), dataset={'name': 'synthetic', 'seed': 0})   # small and quick
    test, honest = (run_job(study, v, 'CCA', 'dadn', 0) for v in ('chosen on test', 'chosen on validation'))
    best = max(test['curve'], key=lambda c: c[1])
    assert test['chosen'] == {'n_components': best[0]} and test['unseen_avg'] == best[1]
    assert test['unseen_avg'] >= honest['unseen_avg'] and 'curve' not in honest
