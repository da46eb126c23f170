#!/usr/bin/env python3
"""Writes the starting seeds for the fuzz targets: small inputs into fuzz/seeds/<target>/
(kept in git), model files into fuzz/corpus/<target>/ (not kept: data).

Small valid inputs of every kind each target reads; libFuzzer mutates from
there. Needs Pillow (`pip install pillow`) for the picture formats, and a built
`train_mnist` example (for the `.bpk` and `.safetensors` seeds), run as
`python3 fuzz/make_seeds.py` from the repository root.
"""
import gzip
import io
import json
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")
SHARED = os.path.join(ROOT, "..", "shared")


# Model files (weights, optimizer state) are data, not source: they go into the
# working corpus (fuzz/corpus/, ignored by git), rebuilt from ../shared and a tiny
# training run whenever needed. Only small, hand-made inputs go into seeds/.
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def write(target, name, data, into=SEEDS):
    os.makedirs(os.path.join(into, target), exist_ok=True)
    with open(os.path.join(into, target, name), "wb") as f:
        f.write(data)


def write_model_file(target, name, data):
    write(target, name, data, into=CORPUS)


def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


def idx_seeds():
    labels = idx([3], [7, 2, 1])
    images = idx([2, 28, 28], [(i * 7) % 256 for i in range(2 * 784)])
    # First byte: bit 0 = labels, bit 1 = gzip the rest before writing it.
    write("idx", "labels-raw", b"\x01" + labels)
    write("idx", "images-raw", b"\x00" + images)
    write("idx", "labels-gzipped-by-target", b"\x03" + labels)
    write("idx", "images-gzipped-by-target", b"\x02" + images)
    write("idx", "labels-gz-file", b"\x01" + gzip.compress(labels))
    write("idx", "images-gz-file", b"\x00" + gzip.compress(images))
    write("idx", "images-wrong-rows", b"\x00" + idx([1, 27, 29], [0] * (27 * 29)))


def image_seeds():
    from PIL import Image, ImageDraw

    # A dark "7" on light paper, off-centre: what a phone photo of a digit looks like.
    photo = Image.new("RGB", (40, 32), (224, 224, 224))
    draw = ImageDraw.Draw(photo)
    draw.line([(8, 6), (30, 6), (16, 28)], fill=(32, 32, 32), width=3)
    for fmt, ext in [("PNG", "png"), ("JPEG", "jpg"), ("BMP", "bmp"), ("GIF", "gif"),
                     ("WEBP", "webp"), ("PPM", "ppm"), ("TGA", "tga")]:
        buffer = io.BytesIO()
        photo.save(buffer, fmt)
        write("image", "digit." + ext, buffer.getvalue())
    mnist = Image.new("L", (28, 28), 0)
    ImageDraw.Draw(mnist).rectangle([12, 4, 15, 23], fill=255)
    for fmt, ext in [("PNG", "png"), ("PPM", "pgm")]:
        buffer = io.BytesIO()
        mnist.save(buffer, fmt)
        write("image", "mnist-28x28." + ext, buffer.getvalue())


def safetensors(keys):
    """A safetensors file with PyTorch's key names and small made-up values."""
    header, blobs, offset = {}, [], 0
    for key, shape in keys:
        count = 1
        for d in shape:
            count *= d
        data = struct.pack(f"<{count}f", *[((i * 37) % 101 - 50) / 500 for i in range(count)])
        header[key] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def weights_seeds():
    with open(os.path.join(SHARED, "fixtures", "pytorch", "lenet5_extra_conv_reference.json")) as f:
        keys = json.load(f)["state_dict_keys"]
    keys = list(keys.items()) if isinstance(keys, dict) else [(k["key"], k["shape"]) for k in keys]
    write_model_file("weights", "extra-conv.safetensors", b"\x00" + safetensors(keys))

    # First byte: the architecture the caller names (0 = none).
    for name in ["lenet5_state_dict.pth", "lenet5_extra_conv_state_dict.pth"]:
        with open(os.path.join(SHARED, "fixtures", "pytorch", name), "rb") as f:
            write_model_file("weights", name, b"\x00" + f.read())
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(ROOT, "target", "release", "examples", "train_mnist")
        for model, pick in [("extra-conv", 2)]:
            out = os.path.join(tmp, model)
            subprocess.run([exe, "--model", model, "--epochs", "1", "--limit", "64",
                            "--data-dir", os.path.join(SHARED, "data", "mnist"), "--out", out,
                            "--device", "flex", "--checkpoint-every", "1"],
                           check=True, capture_output=True)
            with open(os.path.join(out, "model.bpk"), "rb") as f:
                bpk = f.read()
            write_model_file("weights", f"{model}.bpk", bytes([pick]) + bpk)
            write_model_file("checkpoint", "model.bpk", b"\x02" + bpk)
            with open(os.path.join(out, "config.json"), "rb") as f:
                write("checkpoint", "config.json", b"\x00" + f.read())
            latest = os.path.join(out, "checkpoints", "latest")
            if os.path.exists(latest):
                step = open(latest).read().strip()
                with open(os.path.join(out, "checkpoints", step, "position.json"), "rb") as f:
                    write("checkpoint", "position.json", b"\x01" + f.read())
                with open(os.path.join(out, "checkpoints", step, "optimizer.bpk"), "rb") as f:
                    write_model_file("checkpoint", "optimizer.bpk", b"\x03" + f.read())


if __name__ == "__main__":
    idx_seeds()
    image_seeds()
    if "--no-weights" not in sys.argv:
        weights_seeds()
