#!/usr/bin/env python3
"""Handwriting by other writers than MNIST's, as pictures `predict --labels` reads.

The UCI "optical recognition of handwritten digits" test set (Alpaydin and
Kaynak, 1998): 1,797 digits written by 13 people on NIST's forms, scanned,
normalised to 32x32 bitmaps and reduced to 8x8 counts of ink (0..16). The
scikit-learn wheel carries it (sklearn/datasets/data/digits.csv.gz), and PyPI
is a registry this project can reach:

    pip download scikit-learn==1.9.1 --no-deps --only-binary=:all: -d /tmp/sklearn
    python3 scripts/optdigits_pictures.py /tmp/sklearn/scikit_learn-1.9.1-*.whl optdigits/
    cargo run --release --example predict -- --checkpoint runs/improved-s0/model.bpk \
        --labels optdigits/labels.csv optdigits/

Each digit becomes a 60x60 greyscale PNG: dark ink on white paper, the 8x8
counts padded by two blank cells and enlarged five times (Catmull-Rom), as a
small, soft photo of the digit would be. Only the standard library is used.
Nothing here is committed data: the pictures are made from the wheel on the
user's machine.
"""

import gzip
import struct
import sys
import zipfile
import zlib
from pathlib import Path

MEMBER = "sklearn/datasets/data/digits.csv.gz"
DIGITS = 1797  # in the set, as its description says
PAD = 2  # blank cells around the 8x8 counts
CELLS = 8 + 2 * PAD  # along each side, with them
SCALE = 5  # enlargement
SIDE = CELLS * SCALE


def catmull_rom(t):
    """The Catmull-Rom cubic's weight at distance t."""
    t = abs(t)
    if t < 1:
        return 1.5 * t**3 - 2.5 * t**2 + 1
    if t < 2:
        return -0.5 * t**3 + 2.5 * t**2 - 4 * t + 2
    return 0.0


def taps(n_in, n_out):
    """For each output sample, (input index, weight) pairs, edges clamped."""
    out = []
    for o in range(n_out):
        x = (o + 0.5) * n_in / n_out - 0.5
        base = int(x // 1)
        pairs = [(min(max(i, 0), n_in - 1), catmull_rom(x - i)) for i in range(base - 1, base + 3)]
        total = sum(w for _, w in pairs)
        out.append([(i, w / total) for i, w in pairs])
    return out


def enlarge(rows, along):
    """Rows of floats (CELLS x CELLS), enlarged with the taps `along` each way."""
    wide = [[sum(row[i] * w for i, w in t) for t in along] for row in rows]
    return [[sum(wide[i][x] * w for i, w in t) for x in range(len(along))] for t in along]


def png(rows):
    """An 8-bit greyscale PNG of rows of bytes."""
    height, width = len(rows), len(rows[0])

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def read_rows(wheel):
    """The set's rows, each 64 counts and a digit, checked; exits with one line."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            text = gzip.decompress(archive.read(MEMBER)).decode("ascii")
    except (OSError, KeyError, zipfile.BadZipFile, EOFError, UnicodeDecodeError) as error:
        sys.exit(f"{wheel}: cannot read {MEMBER} from it: {error}")
    rows = []
    for index, line in enumerate(text.split()):
        try:
            values = [float(v) for v in line.split(",")]
        except ValueError:
            values = []
        whole = all(v.is_integer() for v in values)
        if not (len(values) == 65 and whole and all(0 <= v <= 16 for v in values[:64]) and 0 <= values[64] <= 9):
            sys.exit(f"{wheel}: {MEMBER}: line {index + 1} is not 64 whole counts 0..16 and a digit")
        rows.append([int(v) for v in values])
    if len(rows) != DIGITS:
        sys.exit(f"{wheel}: {MEMBER}: {len(rows)} digits, not the set's {DIGITS}")
    return rows


def main():
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} SCIKIT_LEARN_WHEEL OUT_DIR")
    wheel, out = Path(sys.argv[1]), Path(sys.argv[2])
    rows = read_rows(wheel)
    out.mkdir(parents=True, exist_ok=True)
    labels = []
    along = taps(CELLS, SIDE)  # the same for every picture
    for index, values in enumerate(rows):
        paper = [[255.0] * CELLS for _ in range(CELLS)]
        for cell, count in enumerate(values[:64]):
            paper[PAD + cell // 8][PAD + cell % 8] = 255.0 - count * 255.0 / 16.0
        pixels = [[min(255, max(0, round(v))) for v in row] for row in enlarge(paper, along)]
        name = f"{index:04d}.png"
        (out / name).write_bytes(png(pixels))
        labels.append(f"{name},{values[64]}\n")
    (out / "labels.csv").write_text("".join(labels))
    print(f"{len(labels)} pictures ({SIDE}x{SIDE}) and labels.csv in {out}")


if __name__ == "__main__":
    main()
