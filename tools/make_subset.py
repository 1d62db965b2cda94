#!/usr/bin/python3
"""Writes the small Fashion-MNIST subset the tests use: the first 3,000 training and the first 1,000 test images with
their labels, as gzipped IDX files named like the full set's.

Run from the repository root (python3's standard library only):

    python3 tools/make_subset.py

It reads data/fashion-mnist/*.gz and (re)writes tests/NetCompiler.Tests/Fixtures/fashion-mnist-subset/*.gz. The
output is a pure function of the input and zlib: the gzip headers carry no file name and time stamp 0, so a re-run
with the same zlib gives byte-identical files. The script checks each input's header and length before it cuts.
"""

import gzip
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "data", "fashion-mnist")
TARGET = os.path.join(ROOT, "tests", "NetCompiler.Tests", "Fixtures", "fashion-mnist-subset")

# (images file, labels file, how many to keep)
SPLITS = [
    ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 3000),
    ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 1000),
]


def read_idx(name, rank):
    """Returns (dims, data) of a gzipped ubyte IDX file with `rank` dimensions, checking magic and length."""
    path = os.path.join(SOURCE, name)
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = raw[:4]
    if magic != bytes([0, 0, 0x08, rank]):
        sys.exit(f"{path}: expected ubyte IDX with {rank} dimensions, header starts {magic.hex()}")
    dims = struct.unpack(">" + "i" * rank, raw[4:4 + 4 * rank])
    data = raw[4 + 4 * rank:]
    expected = 1
    for d in dims:
        expected *= d
    if len(data) != expected:
        sys.exit(f"{path}: dimensions {dims} need {expected} bytes, found {len(data)}")
    return dims, data


def write_idx(name, dims, data):
    header = bytes([0, 0, 0x08, len(dims)]) + struct.pack(">" + "i" * len(dims), *dims)
    path = os.path.join(TARGET, name)
    with open(path, "wb") as raw:
        # filename="" and mtime=0: no name, no time stamp in the header, so the bytes depend only on the data.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(header + data)
    print(f"{os.path.relpath(path, ROOT)}: {' x '.join(map(str, dims))}, {os.path.getsize(path)} bytes")


def main():
    os.makedirs(TARGET, exist_ok=True)
    for images_name, labels_name, keep in SPLITS:
        (count, rows, cols), pixels = read_idx(images_name, 3)
        (label_count,), labels = read_idx(labels_name, 1)
        if count != label_count or keep > count:
            sys.exit(f"{images_name}/{labels_name}: {count} images, {label_count} labels, cannot keep {keep}")
        write_idx(images_name, (keep, rows, cols), pixels[:keep * rows * cols])
        write_idx(labels_name, (keep,), labels[:keep])
        histogram = [labels[:keep].count(c) for c in range(10)]
        print(f"  first {keep} labels per class: {histogram}")


if __name__ == "__main__":
    main()
