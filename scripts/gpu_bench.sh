#!/usr/bin/env bash
# The WGPU (Vulkan) path measured on a real GPU, in one prepared run that ends well
# inside ten minutes: the tutorial's 10 epochs at batch 64, and the same at batch 256
# and 1024 with the learning rate scaled by sqrt(batch / 64) (Adam's usual rule for
# larger batches: 2e-3 at 256, 4e-3 at 1024), then PyTorch on the same GPU if the
# machine has it. Prints one table; writes every run's metrics.json/history.json.
#
# Two halves, because the GPU machine has neither cargo nor a network:
#
#   here, in the repository root:     scripts/gpu_bench.sh prepare
#       builds train_mnist with the `wgpu` feature and copies it (stripped, gzipped), the
#       MNIST files and scripts/pytorch_lenet.py into .gpu/; fetches the Vulkan loader
#       package into .gl/ (both kept out of git by .git/info/exclude). ≈ 45 MB travel.
#   there (the device tool's `run`, carrying .gpu and .gl):
#                                      bash scripts/gpu_bench.sh measure "$OUT"
#
# `measure` also runs here, against whatever Vulkan driver there is (lavapipe, a few
# minutes per epoch: pass QUICK=1 for 3,200 images and one epoch per run).
set -euo pipefail
cd "$(dirname "$0")/.."

prepare() {
  local data=${LENET_DATA_DIR:-../shared/data/mnist}
  # The features of the test build (README), so that it is not built a second time.
  cargo build --release --features ndarray,wgpu --example train_mnist
  mkdir -p .gpu/mnist .gl
  local exclude
  exclude="$(git rev-parse --git-common-dir)/info/exclude"
  grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo /.gpu/ >>"$exclude"
  grep -qx '/.gl/' "$exclude" 2>/dev/null || echo /.gl/ >>"$exclude"
  # Stripped and compressed (113 MB → 32 MB): what travels to the device is at most 64 MiB.
  strip -o .gpu/train_mnist target/release/examples/train_mnist
  gzip -f .gpu/train_mnist
  cp scripts/pytorch_lenet.py .gpu/
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    if [ -f "$data/$f.gz" ]; then cp "$data/$f.gz" .gpu/mnist/; else gzip -c "$data/$f" >".gpu/mnist/$f.gz"; fi
  done
  if ! ls .gl/*.deb >/dev/null 2>&1; then
    local o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
    mkdir -p /tmp/amd64/partial
    # shellcheck disable=SC2086
    apt-get $o update -qq && (cd .gl && apt-get $o download libvulkan1)
  fi
  du -sh .gpu .gl
}

measure() {
  local out=${1:?usage: scripts/gpu_bench.sh measure OUTDIR}
  local bin=/tmp/gpu_bench/train_mnist data=.gpu/mnist
  [ -f .gpu/train_mnist.gz ] || { echo "no .gpu/train_mnist.gz: run 'scripts/gpu_bench.sh prepare' first"; exit 2; }
  mkdir -p "$out" /tmp/gpu_bench
  gunzip -c .gpu/train_mnist.gz >"$bin" && chmod +x "$bin"
  if ! ldconfig -p 2>/dev/null | grep libvulkan >/dev/null; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] && export VK_DRIVER_FILES=$icd
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
  lscpu | grep -m1 'Model name' | tee -a "$out/gpu.txt" || true

  local limit=() epochs=10
  if [ "${QUICK:-0}" = 1 ]; then
    limit=(--limit 3200)
    epochs=1
  fi
  local runs=("64 0.001" "256 0.002" "1024 0.004")
  printf '| backend, batch | lr | wall s | train img/s | inference img/s | test accuracy |\n|---:|---:|---:|---:|---:|---:|\n' >"$out/table.md"
  for run in "${runs[@]}"; do
    set -- $run
    local dir="$out/wgpu-b$1"
    local started
    started=$(date +%s.%N)
    if ! "$bin" --device vulkan --data-dir "$data" --epochs "$epochs" --batch-size "$1" --lr "$2" \
      "${limit[@]}" --out "$dir" >"$dir.log" 2>&1; then
      echo "| WGPU (Vulkan), $1 | $2 | failed: see $dir.log | | | |" | tee -a "$out/table.md"
      tail -n 5 "$dir.log"
      continue
    fi
    tail -n 2 "$dir.log"
    python3 - "$dir" "$1" "$2" "$started" >>"$out/table.md" <<'EOF'
import json, sys, time
d, batch, lr, started = sys.argv[1:]
wall = time.time() - float(started)
m = json.load(open(f"{d}/metrics.json"))
print(f"| WGPU (Vulkan), {batch} | {lr} | {wall:.1f} (training {m['train_seconds']:.1f}) | {m['train_samples_per_sec']:,.0f} "
      f"| {m['test_images_per_sec']:,.0f} | {100 * m['test_accuracy']:.2f}% |")
EOF
    rm -rf "$dir/checkpoints"
  done
  if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    local quick=()
    [ "${QUICK:-0}" = 1 ] && quick=(--limit 3200)
    local started
    started=$(date +%s.%N)
    python3 .gpu/pytorch_lenet.py --data-dir "$data" --epochs "$epochs" --device cuda "${quick[@]}" \
      >"$out/pytorch.json" 2>"$out/pytorch.log" || { echo "PyTorch failed:"; tail -n 5 "$out/pytorch.log"; }
    if [ -s "$out/pytorch.json" ]; then
      python3 - "$out/pytorch.json" "$started" >>"$out/table.md" <<'EOF'
import json, sys, time
m = json.load(open(sys.argv[1]))
wall = time.time() - float(sys.argv[2])
print(f"| PyTorch CUDA, 64 | 0.001 | {wall:.1f} (training {m['train_seconds']:.1f}) "
      f"| {m['train_samples_per_sec']:,.0f} | {m['inference_images_per_sec_batch_1000']:,.0f} "
      f"| {100 * m['test_accuracy']:.2f}% |")
EOF
    fi
  fi
  cat "$out/table.md"
}

case "${1:-}" in
  prepare) prepare ;;
  measure) shift; measure "$@" ;;
  *) echo "usage: scripts/gpu_bench.sh prepare | measure OUTDIR"; exit 2 ;;
esac
