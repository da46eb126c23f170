#!/usr/bin/env python3
"""Writes tests/fixtures/pytorch_specs.json: PyTorch's view of several
architecture specs that are not the tutorial's, for tests/it/specs.rs.

For each spec it builds an nn.Sequential with the Python parser the lab exports
(src/explore/lab/pytorch_script.py, written from the spec grammar in
docs/SPECS.md, not from the crate's Rust code), and records:
  - the state_dict keys and shapes,
  - the parameter count and torchinfo's mult-adds (torchinfo.summary),
  - the logits and probabilities for four fixed inputs, with every weight set by
    a formula both sides compute (so no weight file is stored).

    python3 scripts/pytorch_specs.py   # needs torch, numpy, torchinfo

And the other way: a model the crate trained and exported, loaded into PyTorch by
the same parser, must give the probabilities `predict` gave:

    predict --checkpoint run/model.bpk --json --json-input PICTURES... > predictions.jsonl
    python3 scripts/pytorch_specs.py check run/model.safetensors predictions.jsonl
"""

import json
import math
import sys
from pathlib import Path

import torch
from torchinfo import summary

# The spec parser and the .safetensors reader are the ones the lab exports with
# every run (GET /api/runs/{id}/pytorch.py): one copy of each.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src" / "explore" / "lab"))
from pytorch_script import parse, read_safetensors  # noqa: E402

SPECS = [
    # The issue's own example: two 3x3 stages.
    "conv8k3p1-relu-pool-conv16k3-relu-pool-fc10",
    # Stride, average pooling, a convolution with no ReLU, a hidden fc.
    "conv4k3s2-relu-avgpool-conv8k3p1-fc32-relu-fc10",
    # An odd map before a 2x2 pool (25x25 -> 12x12: the last row is dropped),
    # a 3x3 pool, and four convolutions.
    "conv8k4-relu-pool-conv8k3-relu-conv8k3p1-relu-conv12k3-relu-pool3-fc10",
    # No convolution at all: logistic regression.
    "fc10",
]

BATCH = 4
SIDE = 28


def formula_weights(net):
    """Every tensor of the state_dict, in key order, set to
    3 sin(0.731 j + 1.37 t) / sqrt(fan_in) at flat index j of tensor number t."""
    for t, (key, tensor) in enumerate(net.state_dict().items()):
        fan_in = tensor.numel() // tensor.shape[0] if key.endswith("weight") else None
        if fan_in is None:  # a bias: the fan-in of its weight
            weight = net.state_dict()[key[: -len("bias")] + "weight"]
            fan_in = weight.numel() // weight.shape[0]
        scale = 3.0 / math.sqrt(fan_in)
        values = [scale * math.sin(0.731 * j + 1.37 * t) for j in range(tensor.numel())]
        tensor.copy_(torch.tensor(values, dtype=torch.float64).reshape(tensor.shape))


def formula_inputs():
    """Pixel p of image n: 0.5 + 0.5 sin(0.05 (n + 1) p + n), in [0, 1]."""
    values = [
        0.5 + 0.5 * math.sin(0.05 * (n + 1) * p + n)
        for n in range(BATCH)
        for p in range(SIDE * SIDE)
    ]
    return torch.tensor(values, dtype=torch.float64).reshape(BATCH, 1, SIDE, SIDE)


def main():
    cases = []
    for spec in SPECS:
        net = parse(spec).double()
        with torch.no_grad():
            formula_weights(net)
            logits = net(formula_inputs())
        info = summary(net.float(), input_size=(1, 1, SIDE, SIDE), verbose=0)
        cases.append(
            {
                "spec": spec,
                "keys": [
                    {"key": f"net.{k}", "shape": list(v.shape)}
                    for k, v in net.state_dict().items()
                ],
                "params": sum(p.numel() for p in net.parameters()),
                "mult_adds": info.total_mult_adds,
                "logits": logits.tolist(),
                "probabilities": torch.softmax(logits, dim=1).tolist(),
            }
        )
    out = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pytorch_specs.json"
    out.write_text(
        json.dumps(
            {
                "generator": "scripts/pytorch_specs.py",
                "torch": torch.__version__,
                "cases": cases,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {out}")


def check(model_path, predictions_path):
    """Loads `model_path` into an nn.Sequential built from its recorded spec and
    compares its probabilities with each line of `predict --json --json-input`."""
    state, metadata = read_safetensors(model_path)
    spec = metadata["lenet.architecture"]
    net = parse(spec)
    net.load_state_dict({k[len("net.") :]: v for k, v in state.items()})
    normalization = json.loads(metadata.get("lenet.normalization", '"None"'))
    mean, std = (0.0, 1.0)
    if isinstance(normalization, dict):
        mean = normalization["Standardize"]["mean"]
        std = normalization["Standardize"]["std"]
    worst, count, agree = 0.0, 0, 0
    for line in Path(predictions_path).read_text().splitlines():
        row = json.loads(line)
        x = (torch.tensor(row["input"], dtype=torch.float32) - mean) / std
        with torch.no_grad():
            p = torch.softmax(net(x.reshape(1, 1, SIDE, SIDE)), dim=1)[0]
        worst = max(worst, (p - torch.tensor(row["probabilities"])).abs().max().item())
        agree += int(p.argmax().item() == row["class"])
        count += 1
    print(f"{spec}: {count} pictures, same class for {agree}, largest probability difference {worst:.2e}")
    if count == 0 or agree != count or worst > 1e-4:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    else:
        main()
