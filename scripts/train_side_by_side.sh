#!/usr/bin/env bash
# The README's training timing table: one CNN epoch and 300 GAN steps, leaky and PyTorch in turn,
# ROUNDS times, on this machine.
#
#   PYTHON=/path/to/venv/bin/python scripts/train_side_by_side.sh [ROUNDS]
#
# PYTHON needs numpy and torch; LEAKY is the release binary (default target/release/leaky). The CNN
# figure is the epoch's training time (leaky's metrics.json "seconds", the script's own line for
# PyTorch); the GAN figure is the whole command's wall time, as a user waits for it, with the
# classifier score of both at the end (the CNN trained in the first round scores both).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
python=${PYTHON:-python3}
leaky=${LEAKY:-target/release/leaky}
test -x "$leaky" || { echo "no leaky binary at $leaky: cargo build --release -p leaky-cli" >&2; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
now() { date +%s.%N; }
lscpu | sed -n 's/^Model name: *//p'
for round in $(seq "$rounds"); do
    "$leaky" train cnn --epochs 1 --out "$scratch/cnn-$round" >/dev/null
    cnn_leaky=$("$python" -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["epochs"][0]["seconds"])' "$scratch/cnn-$round/metrics.json")
    cnn_torch=$("$python" scripts/cnn_torch.py --threads 2 --epochs 1 | sed -n 's/^epoch 1: \([0-9.]*\) s.*/\1/p')
    start=$(now)
    "$leaky" train gan --steps 300 --classifier "$scratch/cnn-1/model.safetensors" --out "$scratch/gan-$round" >/dev/null
    gan_leaky=$(echo "$(now) - $start" | bc)
    start=$(now)
    "$python" scripts/gan_torch.py --steps 300 --threads 2 --classifier "$scratch/cnn-1/model.safetensors" >/dev/null
    gan_torch=$(echo "$(now) - $start" | bc)
    printf 'round %s: CNN epoch leaky %s s, PyTorch %s s (%.2fx); GAN 300 steps leaky %.1f s, PyTorch %.1f s (%.2fx)\n' \
        "$round" "$cnn_leaky" "$cnn_torch" "$(echo "$cnn_leaky / $cnn_torch" | bc -l)" \
        "$gan_leaky" "$gan_torch" "$(echo "$gan_leaky / $gan_torch" | bc -l)"
done
