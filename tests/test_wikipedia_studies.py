"The Wikipedia studies of bench/studies.py: well-formed, guarded against merging into an earlier script's file, and (slow, with the data) reproducing the committed numbers."
import json, sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / 'bench'
sys.path.insert(0, str(BENCH))
from studies import STUDIES, WIKIPEDIA                      # noqa: E402
import sweep                                                 # noqa: E402

NAMES = ('wikipedia_cfsa_variants', 'wikipedia_cfsa_ideas', 'wikipedia_jfse_weight', 'wikipedia_glove')


@pytest.mark.parametrize('name', NAMES)
def test_wikipedia_studies_are_registered_and_well_formed(name):
    study = STUDIES[name]('/data/wikipedia')
    assert name in WIKIPEDIA and study.name == name and study.dataset['path'] == '/data/wikipedia'
    assert all(set(v.methods) <= set(study.methods) for v in study.variants.values())
    json.dumps(study.describe())                             # the description is stored beside the numbers


def test_sweep_refuses_to_merge_into_a_file_the_runner_did_not_write(tmp_path, capsys):
    old = tmp_path / 'old.json'
    old.write_text(json.dumps(dict(seeds=[0], rows=[])))
    with pytest.raises(SystemExit):
        sweep.main(['wikipedia_cfsa_ideas', '--wikipedia', str(tmp_path), '--out', str(old)])
    assert "not a results file of the experiment runner" in capsys.readouterr().err


# CCA's seed 0 recorded when CCA became a closed-form solve; the committed file's CCA rows were re-run with it
# (`bench/sweep.py wikipedia_cfsa_ideas --methods CCA --variants default`), so they hold these numbers
CCA_SEED_0 = dict(val_map=0.6629690287442043, unseen_avg=0.3067693104291752, seen_avg=0.5908671294326906, gzsl_avg=0.19903585685398242)


@pytest.mark.slow
def test_cca_reference_reproduces_the_closed_form_seed_0(shared_data):
    from zscmr.experiments import run_job
    r = run_job(STUDIES['wikipedia_cfsa_ideas'](shared_data / 'wikipedia_svcl'), 'default', 'CCA', 'dadn', 0)
    committed = json.loads((BENCH / 'results' / 'wikipedia_cfsa_ideas.json').read_text())['records']
    old = next(o for o in committed if (o['variant'], o['method'], o['split'], o['seed']) == ('default', 'CCA', 'dadn', 0))
    for k, v in CCA_SEED_0.items():
        assert r[k] == pytest.approx(v, abs=1e-5), k
        assert r[k] == pytest.approx(old[k], abs=1e-5), k
