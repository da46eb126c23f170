#!/usr/bin/env python3
"""Writes tests/fixtures/pytorch_gradients.json: PyTorch's gradients of the
cross-entropy of the shared fixtures' four test images (labels 7, 2, 1, 0) with
respect to every parameter of both tutorial models, as loaded from
../shared/fixtures/pytorch. Kept small: per tensor, its L2 norm and 64 values at
evenly spaced flat indices (PyTorch's layout).

    python3 scripts/pytorch_gradients.py --fixtures ../shared/fixtures/pytorch
"""

import argparse
import json
import os

import torch

from pytorch_lenet import Model

SAMPLES = 64

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--fixtures", default="../shared/fixtures/pytorch")
parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "../tests/fixtures/pytorch_gradients.json"))
args = parser.parse_args()

result = {"labels": [7, 2, 1, 0], "models": {}}
for name, weights, reference in [
    ("lenet5", "lenet5_state_dict.pth", "lenet5_reference.json"),
    ("extra-conv", "lenet5_extra_conv_state_dict.pth", "lenet5_extra_conv_reference.json"),
]:
    model = Model(name)
    model.load_state_dict(torch.load(os.path.join(args.fixtures, weights)))
    ref = json.load(open(os.path.join(args.fixtures, reference)))
    x = torch.tensor(ref["input"]).reshape(4, 1, 28, 28)
    loss = torch.nn.functional.cross_entropy(model(x), torch.tensor(result["labels"]))
    loss.backward()
    tensors = {}
    for key, param in model.named_parameters():
        flat = param.grad.flatten()
        step = max(1, flat.numel() // SAMPLES)
        indices = list(range(0, flat.numel(), step))[:SAMPLES]
        tensors[key] = {
            "shape": list(param.shape),
            "norm": float(flat.norm()),
            "indices": indices,
            "values": [float(flat[i]) for i in indices],
        }
    result["models"][name] = {"loss": float(loss.detach()), "gradients": tensors}

with open(args.out, "w") as f:
    json.dump(result, f, indent=1)
print(f"wrote {args.out}")
