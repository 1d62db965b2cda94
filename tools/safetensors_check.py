#!/usr/bin/env python3
"""Strict, independent reader of a safetensors file (Hugging Face specification), standard library only.

Usage: python3 tools/safetensors_check.py FILE [--values N]

Layout checked: an 8-byte little-endian unsigned header length N (N <= file size - 8); N bytes of UTF-8 JSON starting
with '{', optionally padded with spaces; an object mapping tensor names to {"dtype", "shape", "data_offsets"} (no other
fields, no duplicate keys) and an optional "__metadata__" object of strings; data offsets relative to the byte buffer
after the header, each [begin, end] spanning exactly prod(shape) * element size bytes, tensors contiguous without gaps
or overlaps and covering the whole buffer.

Output, tab-separated, one line each:
    metadata <key> <value>
    tensor   <name> <dtype> <shape as d1,d2,...> <sum> <weighted sum> <first values as repr, space-separated>
with sum = math.fsum(v_i) and weighted sum = math.fsum((i + 1) * v_i) over the values in row-major order (the weighted
sum tells a permutation of the values from the right order), both as repr.
    ok       <tensor count> <data bytes>
Exit status 0 when the file is valid; 1 with "error: ..." on stderr otherwise.
"""
import json
import math
import struct
import sys

SIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}
FORMATS = {"BOOL": "?", "U8": "B", "I8": "b", "I16": "h", "U16": "H", "F16": "e",
           "I32": "i", "U32": "I", "F32": "f", "I64": "q", "U64": "Q", "F64": "d"}
MAX_HEADER = 100_000_000


class Invalid(Exception):
    pass


def no_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise Invalid(f"duplicate key {key!r} in the header")
        result[key] = value
    return result


def is_count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def parse(data):
    if len(data) < 8:
        raise Invalid(f"truncated: {len(data)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise Invalid(f"header length {n} exceeds the {len(data) - 8} bytes after it")
    if n > MAX_HEADER:
        raise Invalid(f"header length {n} exceeds {MAX_HEADER}")
    raw = data[8:8 + n]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Invalid(f"header is not UTF-8: {e}")
    if not text.startswith("{"):
        raise Invalid("header does not start with '{'")
    if not text.rstrip(" ").endswith("}"):
        raise Invalid("header is not a JSON object followed only by space padding")
    try:
        header = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as e:
        raise Invalid(f"header is not valid JSON: {e}")
    if not isinstance(header, dict):
        raise Invalid("header is not a JSON object")

    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise Invalid("__metadata__ is not an object of strings")

    buffer = data[8 + n:]
    tensors = []
    for name, entry in header.items():
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise Invalid(f"tensor {name!r}: entry must have exactly dtype, shape, data_offsets")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in SIZES:
            raise Invalid(f"tensor {name!r}: unknown dtype {dtype!r}")
        if not isinstance(shape, list) or not all(is_count(d) for d in shape):
            raise Invalid(f"tensor {name!r}: shape {shape!r} is not a list of non-negative integers")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(is_count(o) for o in offsets):
            raise Invalid(f"tensor {name!r}: data_offsets {offsets!r} is not [begin, end]")
        begin, end = offsets
        count = math.prod(shape)
        if end < begin or end - begin != count * SIZES[dtype]:
            raise Invalid(f"tensor {name!r}: data_offsets {offsets} do not hold {count} x {dtype}")
        tensors.append((name, dtype, shape, begin, end))

    position = 0
    for name, dtype, shape, begin, end in sorted(tensors, key=lambda t: (t[3], t[4])):
        if begin < position:
            raise Invalid(f"tensor {name!r} overlaps the previous tensor (begin {begin} < {position})")
        if begin > position:
            raise Invalid(f"gap of {begin - position} bytes before tensor {name!r}")
        position = end
    if position > len(buffer):
        raise Invalid(f"truncated: the tensors need {position} bytes of data, the file holds {len(buffer)}")
    if position < len(buffer):
        raise Invalid(f"{len(buffer) - position} trailing bytes are not covered by any tensor")
    return metadata, tensors, buffer


def values(dtype, raw):
    if dtype == "BF16":
        halves = struct.unpack(f"<{len(raw) // 2}H", raw)
        return [struct.unpack("<f", struct.pack("<I", h << 16))[0] for h in halves]
    if dtype not in FORMATS:
        return None  # 8-bit floats: not decoded
    size = SIZES[dtype]
    return list(struct.unpack(f"<{len(raw) // size}{FORMATS[dtype]}", raw))


def main(argv):
    args = argv[1:]
    first = 5
    if "--values" in args:
        i = args.index("--values")
        first = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    path = args[0]
    try:
        with open(path, "rb") as f:
            data = f.read()
        metadata, tensors, buffer = parse(data)
    except (OSError, Invalid) as e:
        print(f"error: {path}: {e}", file=sys.stderr)
        return 1
    for key, value in metadata.items():
        print(f"metadata\t{key}\t{value}")
    for name, dtype, shape, begin, end in tensors:
        decoded = values(dtype, buffer[begin:end])
        if decoded is None:
            total, weighted, head = "nan", "nan", "not-decoded"
        else:
            total = repr(math.fsum(float(v) for v in decoded))
            weighted = repr(math.fsum((i + 1) * float(v) for i, v in enumerate(decoded)))
            head = " ".join(repr(float(v)) for v in decoded[:first])
        print(f"tensor\t{name}\t{dtype}\t{','.join(str(d) for d in shape)}\t{total}\t{weighted}\t{head}")
    print(f"ok\t{len(tensors)}\t{len(buffer)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
