#!/usr/bin/python3
"""Weights files made by PyTorch for the compiled-in weights tests ([Network(Weights = "…")], issue 15).

Run with Debian's python3-torch (PyTorch 1.13) from the repository root or anywhere:

    /usr/bin/python3 tools/make_weights_fixtures.py

It (re)writes tests/NetCompiler.Tests/Fixtures/weights/: for each model a .safetensors file, as PyTorch's
safetensors.torch.save_file would write its state_dict (torch 1.13 has no safetensors module, so the format is
written here by its specification: an 8-byte little-endian header length, the JSON header padded with spaces to a
multiple of 8, then the tensors' little-endian bytes), and a .json file with seeded inputs and PyTorch's outputs for
them. tests/NetCompiler.Tests/CompiledWeightsTests.cs compiles the .safetensors files into generated networks (they
are AdditionalFiles of the test project) and checks those networks against the .json files.

  * lenet5-f32: the Fashion-MNIST LeNet-5 of samples/Shared/LeNet5.cs as a PyTorch module (tools/torch_lenet_check.py's
    module: C1, S2, C3, S4, C5, F6, output; S2/S4 LeNet's trainable subsampling x = tanh(c·avg + b) per map with
    tensors S2.coefficient [6] and S2.bias [6]; C3 a full nn.Conv2d whose kernels outside LeCun's connection table
    are zero), nn's default initialisation from a seed, c and b drawn around 1 and 0, stored in F32 (247 KB).
  * mlp-mixed-dtypes: 10 -> 16 Tanh "hidden" -> 12 ReLU "features" -> 5 Softmax "output", each tensor stored in
    another dtype (F64, F16, BF16, F32) to test the conversions; the values are nn.Linear's default initialisation,
    rounded to each tensor's dtype by torch.

The outputs are computed in float64 from the stored values (each tensor's values converted exactly to float64), so
they are the exact network's outputs up to float64 rounding. Where a tensor is F64, a float network uses the value
rounded to the nearest float: the MLP's file therefore also has the outputs of the weights a float network holds
("float"), next to those of the weights a double network holds ("double"), and both parameter vectors in
NetCompiler's layout (per layer W row-major [out, in], then b) as torch converts them. The output is a pure function of
this script and the torch version: seeded, float64 arithmetic on one thread, numbers as repr(float), no time stamp.
"""

import json
import os
import struct

import torch
import torch.nn as nn

from torch_lenet_check import LeNet5  # samples/Shared/LeNet5.cs as a PyTorch module (tools/ is this script's folder)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "NetCompiler.Tests", "Fixtures", "weights")
COMMAND = "/usr/bin/python3 tools/make_weights_fixtures.py"
GENERATED_BY = "tools/make_weights_fixtures.py with torch %s; regenerate with: %s" % (torch.__version__, COMMAND)

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
# Bits a value of each dtype is written as (torch 1.13 has no view from bfloat16 to bytes but through int16).
INTEGER_VIEW = {"F64": torch.int64, "F32": torch.int32, "F16": torch.int16, "BF16": torch.int16}
INPUTS = 3
# ReLU pre-activations are kept at least this far from 0, so that a float network cannot take the other branch.
KINK_MARGIN = 1e-3

# LeNet-5's C3 connection table (LeCun et al. 1998, Table I): one row per C3 map, one column per S2 map.
C3_TABLE = [
    "XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X",
    "XXXX..", ".XXXX.", "..XXXX", "X..XXX", "XX..XX", "XXX..X",
    "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX",
]


def write_safetensors(path, tensors, metadata):
    """tensors: [(name, dtype name, tensor already of that dtype)], written in this order."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, dtype, tensor in tensors:
        assert tensor.dtype == DTYPES[dtype], name
        blob = tensor.contiguous().view(INTEGER_VIEW[dtype]).numpy().astype("<i%d" % tensor.element_size()).tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    """The file back, each tensor converted exactly to float64: the check that the bytes say what was meant."""
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    body = data[8 + n:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        raw = torch.frombuffer(bytearray(body[begin:end]), dtype=INTEGER_VIEW[entry["dtype"]])
        tensors[name] = raw.view(DTYPES[entry["dtype"]]).reshape(entry["shape"]).to(torch.float64)
    return tensors


def numbers(tensor):
    return [float(v) for v in tensor.flatten().tolist()]


def write_json(file_name, content):
    with open(os.path.join(OUT_DIR, file_name), "w") as f:
        json.dump(content, f, indent=1)
        f.write("\n")


def lenet5():
    torch.manual_seed(1501)
    model = LeNet5()  # float32, nn's default initialisation
    with torch.no_grad():
        for pool in (model.S2, model.S4):
            pool.coefficient.uniform_(0.5, 1.5)
            pool.bias.uniform_(-0.5, 0.5)
        mask = torch.tensor([[1.0 if c == "X" else 0.0 for c in row] for row in C3_TABLE])
        model.C3.weight.mul_(mask.view(16, 6, 1, 1))  # the kernels the table leaves out are stored as zeros
    path = os.path.join(OUT_DIR, "lenet5-f32.safetensors")
    write_safetensors(path, [(name, "F32", value.detach()) for name, value in model.state_dict().items()],
                      {"format": "pt", "generated_by": GENERATED_BY})

    stored = read_safetensors(path)
    reference = LeNet5().double()
    reference.load_state_dict(stored, strict=True)
    inputs = torch.rand(INPUTS, 1, 28, 28, dtype=torch.float64)  # pixels in [0, 1], as Fashion-MNIST's scaled
    inputs = inputs.float().double()  # exactly floats, so a float network reads the same input
    with torch.no_grad():
        outputs = torch.softmax(reference(inputs), dim=1)  # the module gives u of the output layer; x = softmax(u)
    write_json("lenet5-f32.json", {
        "generated_by": GENERATED_BY,
        "weights": "lenet5-f32.safetensors",
        "network": "samples/Shared/LeNet5.cs: [1, 28, 28] -> C1 Conv2D(6, 5, Tanh, padding 2) -> S2 AvgPool(2, trainable, Tanh)"
                   " -> C3 Conv2D(16, 5, Tanh, LeCun's table) -> S4 AvgPool(2, trainable, Tanh) -> C5 Conv2D(120, 5, Tanh)"
                   " -> F6 Dense(84, Tanh) -> output Dense(10, Softmax)",
        "parameter_count": sum(p.numel() for p in model.parameters()) - int((mask == 0).sum()) * 25,
        "samples": [{"input": numbers(x), "output": numbers(y)} for x, y in zip(inputs, outputs)],
    })


MLP_INPUT = 10
# (name, units, activation, dtype of the weight, dtype of the bias)
MLP_LAYERS = [("hidden", 16, "Tanh", "F64", "F16"), ("features", 12, "ReLU", "BF16", "F32"), ("output", 5, "Softmax", "F16", "BF16")]


def mlp_forward(layers, x):
    """layers: [(weight, bias, activation)] in float64; returns (output, pre-activations)."""
    pre = []
    for weight, bias, activation in layers:
        u = x @ weight.T + bias
        pre.append(u)
        x = {"Tanh": torch.tanh, "ReLU": torch.relu, "Softmax": lambda v: torch.softmax(v, dim=-1)}[activation](u)
    return x, pre


def mlp_parameters(layers):
    """θ in NetCompiler's layout: per layer W row-major [out, in], then b."""
    return torch.cat([t.flatten() for weight, bias, _ in layers for t in (weight, bias)])


def mlp():
    torch.manual_seed(1502)
    tensors, inputs = [], MLP_INPUT
    for name, units, activation, weight_dtype, bias_dtype in MLP_LAYERS:
        linear = nn.Linear(inputs, units, dtype=torch.float64)  # nn's default initialisation, uniform in ±1/√fan_in
        tensors.append((name + ".weight", weight_dtype, linear.weight.detach().to(DTYPES[weight_dtype])))
        tensors.append((name + ".bias", bias_dtype, linear.bias.detach().to(DTYPES[bias_dtype])))
        inputs = units
    path = os.path.join(OUT_DIR, "mlp-mixed-dtypes.safetensors")
    write_safetensors(path, tensors, {"format": "pt", "generated_by": GENERATED_BY})

    stored = read_safetensors(path)  # the values a double network holds
    double_layers = [(stored[n + ".weight"], stored[n + ".bias"], a) for n, _, a, _, _ in MLP_LAYERS]
    # A float network holds each value rounded to float: F64 to the nearest (ties to even), the others exactly.
    float_layers = [(w.float().double(), b.float().double(), a) for w, b, a in double_layers]

    generator = torch.Generator().manual_seed(1503)
    samples = []
    while len(samples) < INPUTS:
        x = (torch.rand(MLP_INPUT, generator=generator, dtype=torch.float64) * 4 - 2).float().double()
        output, pre = mlp_forward(double_layers, x)
        float_output, float_pre = mlp_forward(float_layers, x)
        if any(bool((u.abs() < KINK_MARGIN).any()) for u in pre[:-1] + float_pre[:-1]):
            continue  # too near a ReLU's kink: drawn again
        samples.append({"input": numbers(x), "output": numbers(output), "output_float": numbers(float_output)})

    # One SGD step of the double network from the compiled-in weights: CrossEntropy on sample 0 with target class 2.
    learning_rate, target_class = 0.1, 2
    theta = mlp_parameters(double_layers).clone().requires_grad_(True)
    layers, offset = [], 0
    for (weight, bias, activation) in double_layers:
        w = theta[offset:offset + weight.numel()].view(weight.shape)
        offset += weight.numel()
        b = theta[offset:offset + bias.numel()]
        offset += bias.numel()
        layers.append((w, b, activation))
    x0 = torch.tensor(samples[0]["input"], dtype=torch.float64)
    u = x0
    for w, b, activation in layers[:-1]:
        u = {"Tanh": torch.tanh, "ReLU": torch.relu}[activation](u @ w.T + b)
    logits = u @ layers[-1][0].T + layers[-1][1]
    target = torch.zeros(MLP_LAYERS[-1][1], dtype=torch.float64)
    target[target_class] = 1
    loss = -(target * torch.log_softmax(logits, dim=0)).sum()
    loss.backward()
    with torch.no_grad():
        after = theta - learning_rate * theta.grad

    write_json("mlp-mixed-dtypes.json", {
        "generated_by": GENERATED_BY,
        "weights": "mlp-mixed-dtypes.safetensors",
        "network": "10 -> hidden Dense(16, Tanh) -> features Dense(12, ReLU) -> output Dense(5, Softmax)",
        "dtypes": {name: dtype for name, dtype, _ in tensors},
        "parameter_count": theta.numel(),
        "parameters": numbers(mlp_parameters(double_layers)),
        "parameters_float": numbers(mlp_parameters(float_layers)),
        "samples": samples,
        "sgd": {"sample": 0, "target": numbers(target), "learning_rate": learning_rate, "loss": float(loss),
                "parameters_after": numbers(after)},
    })


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    lenet5()
    mlp()
    for name in sorted(os.listdir(OUT_DIR)):
        print("%8d  %s" % (os.path.getsize(os.path.join(OUT_DIR, name)), name))


if __name__ == "__main__":
    main()
