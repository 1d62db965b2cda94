#!/usr/bin/env python3
"""The independent reference of the package test (tests/Package/run.sh), standard library only.

  reference.py weights FILE      writes FILE: the README example's Classifier (4-16-3, ReLU, softmax) with fixed
                                 pseudo-random weights, in safetensors as PyTorch's safetensors.torch.save_file writes
                                 it (F32, nn.Linear's [out, in] layout, "format": "pt" metadata, header padded to 8)
    options after FILE, for the build tests of compiled-in weights (run.sh, step 6), any number of each:
      --shape NAME D0,D1,...     tensor NAME with that shape instead (values from the same generator), as a file for
                                 another network holds it: NC0084 (wrong shape), e.g. --shape layer1.weight 8,4
      --without NAME             without tensor NAME: NC0082 (a tensor missing), e.g. --without layer2.bias
  reference.py check OUTPUT...   compares the scores an app printed (the README example prints them on one line,
                                 separated by spaces) with this script's own forward pass of the same weights and
                                 input, within 1e-5 (absolute and relative); prints the worst difference
  reference.py check-fixture JSON OUTPUT...
                                 compares them instead with PyTorch's outputs recorded in an ONNX fixture's JSON
                                 (tests/NetCompiler.Tests/Fixtures/onnx) for its last input, the (i mod 17)/16 pattern
                                 the README's ONNX example feeds (run.sh, step 7)

The forward pass here is written from the lecture's equations (u = W·x + b, x = f(u)) in double precision; it shares
no code with NetCompiler.
"""
import json
import math
import struct
import sys

INPUT = [5.1, 3.5, 1.4, 0.2]  # the README example's features
LAYERS = [("layer1", 16, 4), ("layer2", 3, 16)]
TOLERANCE = 1e-5


def parameters():
    """{name: (shape, values)}: weights uniform in ±1/sqrt(fan_in) and biases in ±0.1, from a fixed LCG."""
    state = 12345

    def uniform(bound):
        nonlocal state
        state = (1103515245 * state + 12345) % 2**31
        return float(struct.unpack("<f", struct.pack("<f", (state / 2**31 * 2 - 1) * bound))[0])  # exactly an F32

    tensors = {}
    for name, outputs, inputs in LAYERS:
        tensors[name + ".weight"] = ([outputs, inputs], [uniform(1 / math.sqrt(inputs)) for _ in range(outputs * inputs)])
        tensors[name + ".bias"] = ([outputs], [uniform(0.1) for _ in range(outputs)])
    return tensors


def write_weights(path, options):
    tensors = parameters()
    while options:
        option, name, options = options[0], options[1], options[2:]
        if option == "--without":
            del tensors[name]
        elif option == "--shape":
            shape = [int(d) for d in options[0].split(",")]
            options = options[1:]
            values = tensors[name][1]
            tensors[name] = (shape, [values[i % len(values)] for i in range(math.prod(shape))])
        else:
            sys.exit(__doc__)
    header, data, offset = {"__metadata__": {"format": "pt"}}, b"", 0
    for name, (shape, values) in tensors.items():
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        data += blob
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def forward():
    tensors = parameters()
    x = INPUT
    for k, (name, outputs, inputs) in enumerate(LAYERS):
        w, b = tensors[name + ".weight"][1], tensors[name + ".bias"][1]
        u = [b[i] + sum(w[i * inputs + j] * x[j] for j in range(inputs)) for i in range(outputs)]
        if k < len(LAYERS) - 1:
            x = [max(0.0, v) for v in u]
        else:
            top = max(u)
            e = [math.exp(v - top) for v in u]
            x = [v / sum(e) for v in e]
    return x


def check(printed):
    expected = forward()
    try:
        actual = [float(v) for v in printed]
    except ValueError:
        sys.exit(f"the app printed {' '.join(printed)!r}, not {len(expected)} numbers")
    if len(actual) != len(expected):
        sys.exit(f"the app printed {len(actual)} scores, expected {len(expected)}: {actual}")
    worst = max(abs(a - e) / max(1.0, abs(e)) for a, e in zip(actual, expected))
    verdict = "within" if worst <= TOLERANCE else "NOT within"
    print(f"scores {actual} against the reference {[round(e, 7) for e in expected]}: worst difference {worst:.2e}, {verdict} {TOLERANCE:g}")
    sys.exit(0 if worst <= TOLERANCE else 1)


def check_fixture(fixture, printed):
    """The scores against PyTorch's outputs for the fixture's last input, the README's (i mod 17)/16 pattern."""
    with open(fixture) as f:
        expected = json.load(f)["outputs"][-1]
    try:
        actual = [float(v) for v in printed]
    except ValueError:
        sys.exit(f"the app printed {' '.join(printed)!r}, not {len(expected)} numbers")
    if len(actual) != len(expected):
        sys.exit(f"the app printed {len(actual)} scores, expected {len(expected)}: {actual}")
    worst = max(abs(a - e) / (1 + abs(e)) for a, e in zip(actual, expected))
    verdict = "within" if worst <= TOLERANCE else "NOT within"
    print(f"scores against PyTorch's: worst difference {worst:.2e}, {verdict} {TOLERANCE:g}")
    sys.exit(0 if worst <= TOLERANCE else 1)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "weights":
        try:
            write_weights(sys.argv[2], sys.argv[3:])
        except (IndexError, KeyError, ValueError) as e:
            sys.exit(f"{e!r}\n{__doc__}")
    elif len(sys.argv) >= 2 and sys.argv[1] == "check":
        check(sys.argv[2:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "check-fixture":
        check_fixture(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
