#!/usr/bin/env python3
"""A network trained by lenet (Rust), as PyTorch: its spec built as
nn.Sequential, its weights read from model.safetensors beside this script.

    python pytorch.py PICTURE.png            # the ten probabilities, as JSON
    python pytorch.py PICTURE.png --weights other/model.safetensors
    python pytorch.py PICTURE.png --single-reading

Needs torch, and Pillow to read the picture. Nothing else: the .safetensors
file (its header names the spec and the training normalisation) is read by hand.

Preprocessing: a 28x28 greyscale picture is taken as `lenet`'s `predict` takes
one — inverted when its median is light (dark ink on paper), scaled to [0, 1],
normalised as the run was trained — and read as `predict` reads it: as it is,
shifted one pixel each way and slanted by 0.2 both ways, the seven readings'
probabilities averaged (`--single-reading`: once). The probabilities equal
`predict`'s (or `predict --single-reading`'s) within 1e-4. A picture of any
other size is only converted to grey and resized to 28x28 here: `predict`'s
preprocessing of photos (background, crop, stroke width, centre of mass) is not
repeated, so for a photo use the 28x28 picture `predict` prepared
(`visualize_features --image PHOTO` writes it as input.png).
"""

import json
import math
import re
import struct
import sys
from pathlib import Path

import torch
import torch.nn as nn

SIDE = 28


def parse(spec):
    """nn.Sequential for `spec` (docs/SPECS.md), input 1x28x28; a Flatten goes
    before the first fc."""
    layers, channels, flat, features = [], 1, False, None
    side = SIDE
    for token in spec.lower().split("-"):
        m = re.fullmatch(r"conv(\d+)k(\d+)((?:[ps]\d+)*)", token)
        if m:
            out, k = int(m[1]), int(m[2])
            extra = dict((x[0], int(x[1:])) for x in re.findall(r"[ps]\d+", m[3]))
            p, s = extra.get("p", 0), extra.get("s", 1)
            layers.append(nn.Conv2d(channels, out, k, stride=s, padding=p))
            channels, side = out, (side + 2 * p - k) // s + 1
            continue
        m = re.fullmatch(r"(avg|max)?pool(\d+)?", token)
        if m:
            k = int(m[2] or 2)
            layers.append(nn.AvgPool2d(k) if m[1] == "avg" else nn.MaxPool2d(k))
            side //= k
            continue
        if token == "relu":
            layers.append(nn.ReLU())
            continue
        if token == "flatten":  # only just before the first fc; placed there anyway
            continue
        m = re.fullmatch(r"(?:fc|linear)(\d+)", token)
        if m:
            if not flat:
                layers.append(nn.Flatten())
                flat, features = True, channels * side * side
            layers.append(nn.Linear(features, int(m[1])))
            features = int(m[1])
            continue
        raise ValueError(f"unknown token {token}")
    return nn.Sequential(*layers)


def read_safetensors(path):
    """(state_dict, metadata) of a float32 .safetensors file, read by hand."""
    data = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    metadata = header.pop("__metadata__", {})
    body = data[8 + length :]
    state = {}
    for key, entry in header.items():
        assert entry["dtype"] == "F32", f"{key} is {entry['dtype']}"
        start, end = entry["data_offsets"]
        values = torch.frombuffer(bytearray(body[start:end]), dtype=torch.float32)
        state[key] = values.reshape(entry["shape"]).clone()
    return state, metadata


def load(path):
    """The network in `path` (its spec from the file's metadata) and its
    normalisation as (mean, std)."""
    state, metadata = read_safetensors(path)
    net = parse(metadata["lenet.architecture"])
    net.load_state_dict({k[len("net.") :] if k.startswith("net.") else k: v for k, v in state.items()})
    net.eval()
    normalization = json.loads(metadata.get("lenet.normalization", '"None"'))
    mean, std = 0.0, 1.0
    if isinstance(normalization, dict):
        mean = normalization["Standardize"]["mean"]
        std = normalization["Standardize"]["std"]
    return net, (mean, std)


def picture(path):
    """A picture as 28x28 values in [0, 1], light ink on dark, as `predict`
    takes a 28x28 one."""
    from PIL import Image

    image = Image.open(path).convert("L")
    if image.size != (SIDE, SIDE):
        image = image.resize((SIDE, SIDE), Image.BILINEAR)
    values = torch.tensor(list(image.tobytes()), dtype=torch.float32) / 255.0
    # The median as `predict` takes it: the upper of the two middle values.
    if values.sort().values[len(values) // 2].item() > 0.5:
        values = 1.0 - values
    return values


def views(values):
    """The six further readings `predict` makes of a digit (lenet's
    `predict::Views::SHIFTS_AND_SLANTS`): shifted by one pixel right, left,
    down, up, then slanted by +0.2 and -0.2 pixels per pixel of height about
    the centre; sampled bilinearly, ink from outside the field is background."""
    pixels = [float(v) for v in values]
    centre = (SIDE - 1) / 2

    def at(x, y):
        inside = 0 <= x < SIDE and 0 <= y < SIDE
        return pixels[y * SIDE + x] if inside else 0.0

    def sample(x, y):
        x0, y0 = math.floor(x), math.floor(y)
        fx, fy = x - x0, y - y0
        top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx
        bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx
        return top * (1 - fy) + bottom * fy

    def view(dx, dy, slant):
        out = []
        for y in range(SIDE):
            for x in range(SIDE):
                u, v = x - dx - centre, y - dy - centre
                out.append(sample(u + slant * v + centre, v + centre))
        return torch.tensor(out, dtype=torch.float32)

    moves = [(1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 0.2), (0, 0, -0.2)]
    return [view(dx, dy, slant) for dx, dy, slant in moves]


def probabilities(net, normalization, readings):
    """The softmax of the network's outputs, averaged over the readings (each
    28x28 values) of one picture."""
    mean, std = normalization
    total = None
    for values in readings:
        x = ((values - mean) / std).reshape(1, 1, SIDE, SIDE)
        with torch.no_grad():
            p = torch.softmax(net(x), dim=1)[0]
        total = p if total is None else total + p
    return total / len(readings)


def main(args):
    weights = Path(__file__).resolve().parent / "model.safetensors"
    if "--weights" in args:
        i = args.index("--weights")
        weights = Path(args[i + 1])
        args = args[:i] + args[i + 2 :]
    single = "--single-reading" in args
    args = [a for a in args if a != "--single-reading"]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    net, normalization = load(weights)
    values = picture(args[0])
    readings = [values] if single else [values] + views(values)
    p = probabilities(net, normalization, readings)
    print(json.dumps({"class": int(p.argmax()), "probabilities": [float(v) for v in p]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
