#!/usr/bin/env python3
"""The tutorial's LeNet5 / extra-conv experiment in PyTorch, for side-by-side figures.

The same models (an nn.Sequential named `net`, PyTorch's default initialisation),
the same recipe as `train_mnist --recipe tutorial` (Adam lr 1e-3, eps 1e-8, batch 64,
cross-entropy, pixels / 255, shuffled each epoch) and the same MNIST files, read
straight from the IDX files so torchvision is not needed.

Prints one JSON object: test accuracy on the 10,000 test images, training wall time
and samples/s (per epoch and total), inference images/s at batch 1 and 1000, peak RSS.

    python3 scripts/pytorch_lenet.py --data-dir ../shared/data/mnist --epochs 1 --threads 2

Needs `torch` (any build; it runs on the CPU).
"""

import argparse
import gzip
import json
import os
import resource
import struct
import time

import torch
from torch import nn


def read_idx(path):
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    dims = raw[3]
    shape = struct.unpack(">" + "I" * dims, raw[4 : 4 + 4 * dims])
    data = torch.frombuffer(bytearray(raw[4 + 4 * dims :]), dtype=torch.uint8)
    return data.reshape(shape)


def find(data_dir, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            return path
    raise SystemExit(f"{stem}[.gz] not found in {data_dir}")


def load(data_dir, split):
    images = read_idx(find(data_dir, f"{split}-images-idx3-ubyte"))
    labels = read_idx(find(data_dir, f"{split}-labels-idx1-ubyte"))
    return images.float().div_(255.0).unsqueeze(1), labels.long()


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def extra_conv():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


class Model(nn.Module):
    def __init__(self, name):
        super().__init__()
        self.net = {"lenet5": lenet5, "extra-conv": extra_conv}[name]()

    def forward(self, x):
        return self.net(x)


def evaluate(model, test_x, test_y):
    model.eval()
    with torch.no_grad():
        correct = 0
        loss_sum = 0.0
        for lo in range(0, len(test_x), 1000):
            logits = model(test_x[lo : lo + 1000])
            loss_sum += nn.functional.cross_entropy(logits, test_y[lo : lo + 1000], reduction="sum").item()
            correct += (logits.argmax(1) == test_y[lo : lo + 1000]).sum().item()
    return correct / len(test_x), loss_sum / len(test_x)


def images_per_sec(model, images, batch, repeats):
    with torch.no_grad():
        model(images[:batch])  # warm-up
        sync()
        start = time.perf_counter()
        done = 0
        for i in range(repeats):
            lo = (i * batch) % (len(images) - batch)
            model(images[lo : lo + batch])
            done += batch
        sync()
        return done / (time.perf_counter() - start)


def sync():
    """Waits for a GPU's queued work, so that timings include it (no-op on the CPU)."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("LENET_DATA_DIR", "../shared/data/mnist"))
    parser.add_argument("--model", default="lenet5", choices=["lenet5", "extra-conv"])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N images only")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda (the data then lives on the GPU)")
    parser.add_argument("--per-epoch", action="store_true", help="also evaluate on the test set after every epoch")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train_x, train_y = load(args.data_dir, "train")
    test_x, test_y = load(args.data_dir, "t10k")
    if args.limit:
        train_x, train_y = train_x[: args.limit], train_y[: args.limit]
    device = torch.device(args.device)
    train_x, train_y, test_x, test_y = (t.to(device) for t in (train_x, train_y, test_x, test_y))

    model = Model(args.model).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()
    n = len(train_x)
    epoch_seconds = []
    per_epoch = []
    for _ in range(args.epochs):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(n, device=device)
        loss_sum = 0.0
        for lo in range(0, n, args.batch_size):
            idx = order[lo : lo + args.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(train_x[idx]), train_y[idx])
            loss.backward()
            optimizer.step()
            if args.per_epoch:
                loss_sum += loss.item() * len(idx)
        sync()
        epoch_seconds.append(time.perf_counter() - start)
        if args.per_epoch:
            accuracy, _ = evaluate(model, test_x, test_y)
            per_epoch.append({"train_loss": loss_sum / n, "test_accuracy": accuracy})

    accuracy, test_loss = evaluate(model, test_x, test_y)

    train_seconds = sum(epoch_seconds)
    print(json.dumps({
        "framework": f"pytorch {torch.__version__}",
        "model": args.model,
        "seed": args.seed,
        "threads": args.threads,
        "device": args.device,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "train_items": n,
        "test_accuracy": accuracy,
        "test_loss": test_loss,
        "per_epoch": per_epoch,
        "train_seconds": train_seconds,
        "epoch_seconds": epoch_seconds,
        "train_samples_per_sec": n * args.epochs / train_seconds,
        "inference_images_per_sec_batch_1000": images_per_sec(model, test_x, 1000, 20),
        "inference_images_per_sec_batch_1": images_per_sec(model, test_x, 1, 2000),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
