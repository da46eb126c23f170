#!/usr/bin/env python3
"""Runs PyTorch and this crate's `train_mnist` one after the other, on the same
machine, with the same model, recipe, batch size, data and thread count, and
prints the ratios — the only honest way to compare on a noisy machine. By default
it also runs the "befores" that show where the Rust side's speed comes from: Burn's
own layers instead of the fused Flex kernels (LENET_FUSED=0), glibc's default malloc
thresholds (LENET_MALLOC_TUNING=0), and PyTorch given the thresholds the crate sets
for itself (so that the allocator is not what the comparison measures).

    cargo build --release --example train_mnist
    python3 scripts/vs_pytorch.py --data-dir ../shared/data/mnist --epochs 1 --threads 2 --rounds 3

Needs `torch` for the PyTorch side (scripts/pytorch_lenet.py). Peak memory is each
process's own maximum resident set size (wait4's rusage).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, env):
    """Runs cmd, returns (stdout, peak RSS in MB)."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        stderr = proc.stderr.read().decode(errors="replace")
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"{cmd[0]} failed:\n{stderr}")
        out.seek(0)
        return out.read().decode(), usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("LENET_DATA_DIR", "../shared/data/mnist"))
    parser.add_argument("--model", default="lenet5", choices=["lenet5", "extra-conv", "one-conv"])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternate the two this many times")
    parser.add_argument("--device", default="flex", help="the Rust side's --device")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--also", default="layers,malloc-default,pytorch-malloc",
                        help="extra sides, comma-separated: layers (LENET_FUSED=0), malloc-default "
                             "(LENET_MALLOC_TUNING=0), pytorch-malloc (PyTorch with the same malloc "
                             "thresholds); '' for none")
    parser.add_argument("--train-mnist", default=os.path.join(ROOT, "target/release/examples/train_mnist"))
    args = parser.parse_args()

    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    # Each side: (name, "pytorch" or "rust", extra environment). "rust" is the crate as
    # shipped; the others show where its speed comes from, in the same run.
    also = {name.strip() for name in args.also.split(",") if name.strip()}
    sides = [("pytorch", "pytorch", {}), ("rust", "rust", {})]
    if "pytorch-malloc" in also:
        # PyTorch given the allocator settings `lenet::train` applies to itself.
        sides.append(("pytorch-malloc", "pytorch", {"GLIBC_TUNABLES": MALLOC_TUNABLES}))
    if "malloc-default" in also:
        # glibc's default thresholds (LENET_MALLOC_TUNING=0): before src/train/allocator.rs.
        sides.append(("malloc-default", "rust", {"LENET_MALLOC_TUNING": "0"}))
    if "layers" in also and args.device == "flex":
        # Burn's own convolution, ReLU and pooling (LENET_FUSED=0): before src/model/fused/.
        sides.append(("layers", "rust", {"LENET_FUSED": "0"}))
    rows = {name: [] for name, _, _ in sides}
    for round_ in range(args.rounds):
        for name, kind, extra_env in sides:
            side_env = dict(env, **extra_env)
            if kind == "pytorch":
                stdout, rss = run([
                    args.python, os.path.join(ROOT, "scripts/pytorch_lenet.py"),
                    "--data-dir", args.data_dir, "--model", args.model, "--epochs", str(args.epochs),
                    "--seed", str(args.seed), "--threads", str(args.threads),
                ], side_env)
                torch = json.loads(stdout.strip().splitlines()[-1])
                metrics = dict(torch, test_images_per_sec=torch["inference_images_per_sec_batch_1000"])
                n = torch["train_samples_per_sec"] * torch["train_seconds"] / len(torch["epoch_seconds"])
                metrics.update(epoch_speeds([n / s for s in torch["epoch_seconds"]]))
            else:
                with tempfile.TemporaryDirectory() as out:
                    _, rss = run([
                        args.train_mnist, "--data-dir", args.data_dir, "--model", args.model,
                        "--epochs", str(args.epochs), "--seed", str(args.seed), "--device", args.device,
                        "--out", out,
                    ], side_env)
                    metrics = json.load(open(os.path.join(out, "metrics.json")))
                    history = json.load(open(os.path.join(out, "history.json")))
                    metrics.update(epoch_speeds([e["samples_per_sec"] for e in history["epochs"]]))
            rows[name].append({key: rss if key == "peak_rss_mb" else metrics[key] for key, _ in METRICS})
            print(f"round {round_ + 1}: {name} {rows[name][-1]}", file=sys.stderr)

    med = {side: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for side, runs in rows.items()}
    print(f"{args.model}, {args.epochs} epoch(s), batch 64, {args.threads} threads, seed {args.seed}, "
          f"Rust on {args.device}; medians of {args.rounds} alternating rounds; CPU: {cpu_model()}")
    names = list(med)
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for key, label in METRICS:
        print(f"| {label} | " + " | ".join(fmt(med[n][key]) for n in names) + " |")
    print()
    print("Ratios (speeds: above 1 means the first side is faster; time and memory: below 1 means less):")
    pairs = [("rust", "pytorch")] + [("rust", n) for n in names if n not in ("rust", "pytorch")]
    for a, b in pairs:
        print(f"- {a} / {b}: " + ", ".join(
            f"{label} {med[a][key] / med[b][key]:.2f}×" for key, label in METRICS
            if key not in ("test_accuracy", "epoch_ratio")))


def epoch_speeds(per_epoch):
    """The slowest and fastest epoch's training images/s, and their ratio."""
    slowest, fastest = min(per_epoch), max(per_epoch)
    return {"slowest_epoch": slowest, "fastest_epoch": fastest, "epoch_ratio": slowest / fastest,
            "first_epoch": per_epoch[0], "last_epoch": per_epoch[-1]}


def cpu_model():
    """The CPU's model name, family and model numbers (a VM may hide the name's
    details), and whether it has AVX-512."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        return "unknown"
    avx512 = "AVX-512" if "avx512f" in fields.get("flags", "").split() else "no AVX-512"
    return (f"{fields.get('model name', 'unknown')} (family {fields.get('cpu family', '?')}, "
            f"model {fields.get('model', '?')}, {avx512})")


def fmt(value):
    return f"{value:,.0f}" if value >= 1000 else f"{value:.4g}"


# What each run reports, and how the table labels it (peak RSS is measured here).
METRICS = [
    ("train_samples_per_sec", "train samples/s"),
    ("test_images_per_sec", "inference images/s (batch 1000)"),
    ("first_epoch", "epoch 1 train images/s"),
    ("last_epoch", "last epoch train images/s"),
    ("slowest_epoch", "slowest epoch train images/s"),
    ("epoch_ratio", "slowest / fastest epoch"),
    ("train_seconds", "train wall time (s)"),
    ("test_accuracy", "test accuracy"),
    ("peak_rss_mb", "peak RSS (MB)"),
]

# The thresholds src/train/allocator.rs sets with mallopt, as glibc tunables.
MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864"

if __name__ == "__main__":
    main()
