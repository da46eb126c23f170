#!/usr/bin/env python3
"""Runs PyTorch and this crate's `train_mnist` one after the other, on the same
machine, with the same model, recipe, batch size, data and thread count, and
prints the ratios (Rust / PyTorch; on Flex also the crate's fused kernels against
Burn's own layers) — the only honest way to compare on a noisy
machine.

    cargo build --release --example train_mnist
    python3 scripts/vs_pytorch.py --data-dir ../shared/data/mnist --epochs 1 --threads 2 --rounds 2

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
    parser.add_argument("--model", default="lenet5", choices=["lenet5", "extra-conv"])
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="alternate the two this many times")
    parser.add_argument("--device", default="flex", help="the Rust side's --device")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--train-mnist", default=os.path.join(ROOT, "target/release/examples/train_mnist"))
    args = parser.parse_args()

    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads))
    # "layers": the same Rust binary with its fused Flex kernels off (LENET_FUSED=0),
    # i.e. Burn's own convolution, ReLU and pooling: the "before" of those kernels.
    variants = [("rust", {})] + ([("layers", {"LENET_FUSED": "0"})] if args.device == "flex" else [])
    rows = {"pytorch": [], **{name: [] for name, _ in variants}}
    for round_ in range(args.rounds):
        stdout, rss = run([
            args.python, os.path.join(ROOT, "scripts/pytorch_lenet.py"),
            "--data-dir", args.data_dir, "--model", args.model, "--epochs", str(args.epochs),
            "--seed", str(args.seed), "--threads", str(args.threads),
        ], env)
        torch = json.loads(stdout.strip().splitlines()[-1])
        rows["pytorch"].append({
            "train_samples_per_sec": torch["train_samples_per_sec"],
            "test_images_per_sec": torch["inference_images_per_sec_batch_1000"],
            "train_seconds": torch["train_seconds"],
            "test_accuracy": torch["test_accuracy"],
            "peak_rss_mb": rss,
        })
        for name, extra_env in variants:
            with tempfile.TemporaryDirectory() as out:
                _, rss = run([
                    args.train_mnist, "--data-dir", args.data_dir, "--model", args.model,
                    "--epochs", str(args.epochs), "--seed", str(args.seed), "--device", args.device,
                    "--out", out,
                ], dict(env, **extra_env))
                metrics = json.load(open(os.path.join(out, "metrics.json")))
            rows[name].append({
                "train_samples_per_sec": metrics["train_samples_per_sec"],
                "test_images_per_sec": metrics["test_images_per_sec"],
                "train_seconds": metrics["train_seconds"],
                "test_accuracy": metrics["test_accuracy"],
                "peak_rss_mb": rss,
            })
        print(f"round {round_ + 1}: " + "\n         ".join(f"{side} {runs[-1]}" for side, runs in rows.items()),
              file=sys.stderr)

    med = {side: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for side, runs in rows.items()}
    print(f"{args.model}, {args.epochs} epoch(s), batch 64, {args.threads} threads, seed {args.seed}, "
          f"Rust on {args.device}; medians of {args.rounds} alternating rounds")
    layers = "layers" in med
    print(f"| | PyTorch | Rust ({args.device}) | Rust / PyTorch |"
          + (" Rust, Burn's layers (LENET_FUSED=0) | fused / layers |" if layers else ""))
    print("|---|---:|---:|---:|" + ("---:|---:|" if layers else ""))
    for key, label in [
        ("train_samples_per_sec", "train samples/s"),
        ("test_images_per_sec", "inference images/s (batch 1000)"),
        ("train_seconds", "train wall time (s)"),
        ("peak_rss_mb", "peak RSS (MB)"),
        ("test_accuracy", "test accuracy"),
    ]:
        p, r = med["pytorch"][key], med["rust"][key]
        line = f"| {label} | {p:.4g} | {r:.4g} | {r / p:.2f}× |"
        if layers:
            u = med["layers"][key]
            line += f" {u:.4g} | {r / u:.2f}× |"
        print(line)


if __name__ == "__main__":
    main()
