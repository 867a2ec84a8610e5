"""Packaging for zscmr, read from settings.ini (nbdev 2 template, without pkg_resources)."""
from configparser import ConfigParser
import setuptools, shlex

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']

for k in 'version description keywords author author_email'.split():
    assert k in cfg, f'settings.ini is missing "{k}"'

licenses = {'apache2': ('Apache Software License 2.0', 'OSI Approved :: Apache Software License')}
statuses = ['1 - Planning', '2 - Pre-Alpha', '3 - Alpha', '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive']
py_versions = '3.9 3.10 3.11 3.12 3.13'.split()

def reqs(key): return shlex.split(cfg.get(key, ''))

lic = licenses.get(cfg['license'].lower(), (cfg['license'], None))
min_python = cfg['min_python']
requirements = reqs('requirements')
if cfg.get('pip_requirements'): requirements += reqs('pip_requirements')
nb_requirements = reqs('nb_requirements')        # what the notebooks need beyond the library: nbdev's showdoc, fastcore's tests, a Jupyter kernel
dev_requirements = reqs('dev_requirements')
embed_requirements = reqs('embed_requirements')
entry_points = [o for o in cfg.get('console_scripts', '').split('\n') if o.strip()]

setuptools.setup(
    name=cfg['lib_name'],
    license=lic[0],
    classifiers=['Development Status :: ' + statuses[int(cfg['status'])],
                 'Intended Audience :: ' + cfg['audience'].title(),
                 'Natural Language :: ' + cfg['language'].title()]
                + ['Programming Language :: Python :: ' + o for o in py_versions[py_versions.index(min_python):]]
                + (['License :: ' + lic[1]] if lic[1] else []),
    url=cfg['git_url'],
    packages=setuptools.find_packages(include=['zscmr', 'zscmr.*']),
    include_package_data=True,
    package_data={'zscmr': ['assets/*']},
    install_requires=requirements,
    extras_require={'nb': nb_requirements, 'dev': dev_requirements, 'embed': embed_requirements},
    python_requires='>=' + cfg['min_python'],
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    zip_safe=False,
    entry_points={'console_scripts': entry_points, 'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d']},
    **{k: cfg[k] for k in ('version', 'description', 'keywords', 'author', 'author_email')},
)
