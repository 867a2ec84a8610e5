"""The GitHub workflows: test.yaml runs the README's test command on Ubuntu with a CPU torch, deploy.yaml builds the
site with nbdev_docs (Quarto) and publishes it to GitHub Pages. Checked against the GitHub-workflow JSON schema that
check-jsonschema ships (a dev requirement), and for what each workflow must do."""
import shutil, subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / '.github' / 'workflows'


def load(name: str) -> dict:
    d = yaml.safe_load((WORKFLOWS / name).read_text(encoding='utf-8'))
    d['on'] = d.pop(True, d.get('on'))                       # YAML 1.1 reads the key `on` as True
    return d


def steps(d: dict) -> list:
    (job,) = d['jobs'].values()
    assert 'ubuntu' in job['runs-on']
    return job['steps']


def runs(d: dict) -> str:
    return '\n'.join(s.get('run', '') for s in steps(d))


@pytest.mark.parametrize('name', ['test.yaml', 'deploy.yaml'])
def test_workflow_matches_githubs_schema(name):
    exe = shutil.which('check-jsonschema')
    if exe is None: pytest.skip('check-jsonschema is not installed (it is in the dev extra: pip install -e ".[dev]")')
    r = subprocess.run([exe, '--builtin-schema', 'vendor.github-workflows', WORKFLOWS / name], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize('name', ['test.yaml', 'deploy.yaml'])
def test_torch_is_the_cpu_build_and_comes_first(name):
    text = runs(load(name))
    cpu = text.index('pip install torch --index-url https://download.pytorch.org/whl/cpu')
    assert cpu < text.index('pip install -e ".[dev,embed]"'), 'the package is installed before the CPU torch: pip would pull CUDA builds'


def test_ci_runs_the_readmes_test_command_and_the_slow_tests():
    d = load('test.yaml')
    assert {'push', 'pull_request'} <= set(d['on'])
    text = runs(d)
    assert "awk '/<!-- test-command -->/" in text and 'bash -c "$test_cmd"' in text     # the same extraction as .ci/run
    assert "<!-- test-command -->" in (ROOT / 'README.md').read_text(encoding='utf-8')
    assert 'nbdev_clean' in text and 'nbdev_export' in text and 'pytest -m slow' in text


def test_deploy_builds_with_nbdev_docs_and_publishes_docs_to_pages():
    d = load('deploy.yaml')
    assert d['on']['push']['branches'] == ['main'] and d['permissions']['contents'] == 'write'
    st = steps(d)
    assert any(s.get('uses', '').startswith('quarto-dev/quarto-actions/setup') for s in st)
    assert 'nbdev_docs' in runs(d)
    pub = next(s for s in st if s.get('uses', '').startswith('peaceiris/actions-gh-pages'))
    from configparser import ConfigParser
    cfg = ConfigParser(); cfg.read(ROOT / 'settings.ini')
    assert pub['with']['publish_dir'].strip('./') == cfg['DEFAULT']['doc_path']


def test_license_is_the_apache_2_text_settings_declare():
    from configparser import ConfigParser
    cfg = ConfigParser(); cfg.read(ROOT / 'settings.ini')
    text = (ROOT / 'LICENSE').read_text(encoding='utf-8')
    assert cfg['DEFAULT']['license'] == 'apache2'
    assert 'Apache License\n                           Version 2.0, January 2004' in text
    assert 'END OF TERMS AND CONDITIONS' in text and 'APPENDIX: How to apply the Apache License to your work.' in text
    assert len(text.splitlines()) == 202
