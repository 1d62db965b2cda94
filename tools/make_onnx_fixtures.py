#!/usr/bin/python3
"""ONNX models exported by PyTorch, with PyTorch's outputs, for the ONNX importer's tests (issue 16, item 7).

What: small PyTorch modules exported with torch.onnx.export as a user would export them (eval mode, a graph input
named "input"), each with a JSON file holding seeded inputs, PyTorch's outputs for them, the node op types the file
holds, and the NetCompiler declaration the file should import as (written by hand below, per model).

Why: the importer (NetCompiler.Onnx.OnnxModel.Load, and [Network(Onnx = "...")]) must read what PyTorch really
writes, not only what our own exporter writes: PyTorch's node names and initializer names, Pad before AveragePool,
BatchNormalization after Gemm, Conv + BatchNormalization already fused by the exporter, Softmax at opset 11, opsets
11, 13 and 17, a symbolic batch dimension. tests/NetCompiler.Tests/Onnx/PyTorchOnnxFixtureTests.cs imports every
file and compares with the outputs here; the tests need neither Python nor torch (the files are committed).

How to run (Debian's python3-torch, PyTorch 1.13; python3-onnx is optional, it only adds onnx.checker's check):

    apt-get update && apt-get install -y python3-torch libopenblas0-pthread
    /usr/bin/python3 tools/make_onnx_fixtures.py

It (re)writes tests/NetCompiler.Tests/Fixtures/onnx/<name>.onnx and <name>.json and prints, per model, the node op
types of the file (read back from the file's bytes by the small protobuf walk below) and the sizes. The output is a
pure function of this script and the torch version: every model seeds torch itself, inference runs on one thread,
numbers are written as Python's repr(float) (the shortest text that reads back to the same double; every float32
value is exactly a double, so nothing is lost), no time stamp or path is written.

Conventions of the JSON files:
  * "inputs": per sample the values of one input, batch dimension left out, row-major (PyTorch's order). The inputs
    are multiples of 1/256 (pixels) or 1/64, exactly float32 and short to write; the last is the pattern
    x_i = (i mod 17) / 16 that the README's ONNX example feeds its model.
  * "outputs": PyTorch's float32 outputs of the module for them (module(x) on a batch of one, eval mode), the values
    the importer's float network must reproduce within 1e-5; "outputs_float64": the same module with the same
    (float32) parameters run in float64, to tell rounding from a mistake.
  * "expected_layers": the topology the file imports as, layer by layer in declaration order: kind, activation,
    sizes, "sources" (layer numbers, 0 = the network's input, 1.. = these layers), "shape" (the layer's output shape)
    and "name" where the design fixes it (the prefix of the layer's "<prefix>.weight" initializer, PyTorch's
    state_dict name; null where the importer makes the name up). "expected_declaration" is the same as the
    attributes a user would write. Both are written by hand here from /work/onnx-design.md's mapping, not computed.
  * "fine_tuning" (lenet_logits): a batch of 8 inputs and labels, nn.CrossEntropyLoss (mean) before training, and a
    reference SGD run: per sample in order, loss = CrossEntropy(logits, label) of that sample alone (what
    INetwork.TrainStep returns), theta <- theta - lr * grad, for a few passes, with every step's loss and the mean
    loss after.
"""

import io
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "NetCompiler.Tests", "Fixtures", "onnx")
COMMAND = "/usr/bin/python3 tools/make_onnx_fixtures.py"
GENERATED_BY = "tools/make_onnx_fixtures.py with torch %s; regenerate with: %s" % (torch.__version__, COMMAND)
SAMPLES = 3


# ---------------------------------------------------------------------------------------------------------------
# A minimal protobuf walk over the exported bytes: the op types, opset, graph input and initializers as the file
# holds them (field numbers from onnx/onnx.proto), so the JSON says what the file is without python3-onnx.

def _varint(data, i):
    value, shift = 0, 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def _fields(data):
    """(field number, wire type, value) for each field of one message; value is bytes for wire type 2."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 2:
            n, i = _varint(data, i)
            value, i = data[i:i + n], i + n
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wire)
        yield number, wire, value


def _dims(shape_bytes):
    dims = []
    for number, _, dim in _fields(shape_bytes):
        if number == 1:  # TensorShapeProto.dim
            d = {n: v for n, _, v in _fields(dim)}
            dims.append(d[1] if 1 in d else d[2].decode() if 2 in d else None)  # dim_value or dim_param
    return dims


def read_onnx(path):
    data = open(path, "rb").read()
    model = {"opsets": {}, "nodes": [], "initializers": [], "inputs": [], "outputs": []}
    for number, _, value in _fields(data):
        if number == 8:  # ModelProto.opset_import
            entry = {n: v for n, _, v in _fields(value)}
            model["opsets"][entry.get(1, b"").decode()] = entry.get(2)
        elif number == 7:  # ModelProto.graph
            for g_number, _, g_value in _fields(value):
                if g_number == 1:  # GraphProto.node
                    node = {"inputs": [], "outputs": [], "name": "", "op_type": "", "domain": ""}
                    for n, _, v in _fields(g_value):
                        if n == 1:
                            node["inputs"].append(v.decode())
                        elif n == 2:
                            node["outputs"].append(v.decode())
                        elif n == 3:
                            node["name"] = v.decode()
                        elif n == 4:
                            node["op_type"] = v.decode()
                        elif n == 7:
                            node["domain"] = v.decode()
                    model["nodes"].append(node)
                elif g_number == 5:  # GraphProto.initializer: TensorProto name = 8
                    model["initializers"].append(next(v.decode() for n, _, v in _fields(g_value) if n == 8))
                elif g_number in (11, 12):  # GraphProto.input / output: ValueInfoProto
                    info = {"name": "", "dims": None}
                    for n, _, v in _fields(g_value):
                        if n == 1:
                            info["name"] = v.decode()
                        elif n == 2:  # TypeProto.tensor_type = 1 -> shape = 2
                            for tn, _, tv in _fields(v):
                                if tn == 1:
                                    for sn, _, sv in _fields(tv):
                                        if sn == 2:
                                            info["dims"] = _dims(sv)
                    model["inputs" if g_number == 11 else "outputs"].append(info)
    return model


def onnx_check(path):
    """onnx.checker's full check where python3-onnx is installed; nothing otherwise (the file is the same)."""
    try:
        import onnx
    except ImportError:
        return "python3-onnx not installed: onnx.checker not run"
    onnx.checker.check_model(onnx.load(path), full_check=True)
    return "onnx.checker: ok (onnx %s)" % onnx.__version__


# ---------------------------------------------------------------------------------------------------------------
# JSON: one key per line, a list of numbers or short lists on one line (small files, readable diffs).

def _dump(value, level):
    inner, outer = "  " * (level + 1), "  " * level
    if isinstance(value, dict) and value:
        items = ['%s"%s": %s' % (inner, k, _dump(v, level + 1)) for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + outer + "}"
    if isinstance(value, list) and any(isinstance(v, dict) or (isinstance(v, str) and len(v) > 40) or (isinstance(v, list) and len(v) > 8)
                                         for v in value):
        return "[\n" + ",\n".join(inner + _dump(v, level + 1) for v in value) + "\n" + outer + "]"
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v, level) for v in value) + "]"
    if isinstance(value, float):
        assert math.isfinite(value)
        return repr(value)
    return json.dumps(value)


def write_json(path, content):
    text = _dump(content, 0) + "\n"
    assert json.loads(text) == content  # the writer above is JSON and loses nothing
    with open(path, "w") as f:
        f.write(text)


def numbers(tensor):
    return [float(v) for v in tensor.detach().flatten().tolist()]


# ---------------------------------------------------------------------------------------------------------------
# The models. Modules name their layers as the expected declaration does: the exported initializers are
# "<attribute>.weight", "<attribute>.bias", and the importer names a layer after that prefix.

class MlpBnDropout(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 32)
        self.bn1 = nn.BatchNorm1d(32)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(32, 16)
        self.out = nn.Linear(16, 5)

    def forward(self, x):
        x = self.drop(torch.relu(self.bn1(self.fc1(x))))
        return self.out(torch.tanh(self.fc2(x)))


class LeNetLogits(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.pool2 = nn.AvgPool2d(2)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool1(torch.relu(self.conv1(x)))
        x = self.pool2(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class Conv1dStridePad(nn.Module):
    def __init__(self):
        super().__init__()
        # [3, 31] -> [8, 16]: 31 + 2·2 − 5 = 30 is a multiple of the stride, so the windows tile the padded input
        # exactly, as NetCompiler requires. On [3, 32] PyTorch would drop the last padded value (it floors) and
        # NetCompiler rejects the topology ("windows ... do not tile the input"), so that model cannot import.
        self.conv1 = nn.Conv1d(3, 8, 5, stride=2, padding=2)
        self.conv2 = nn.Conv1d(8, 4, 3, padding=1)  # -> [4, 16]
        self.fc = nn.Linear(4 * 16, 6)

    def forward(self, x):
        x = torch.sigmoid(self.conv2(torch.tanh(self.conv1(x))))
        return self.fc(torch.flatten(x, 1))


class ResidualAddConcat(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_a = nn.Conv2d(2, 4, 3, padding=1)
        self.conv_b = nn.Conv2d(4, 4, 3, padding=1)
        self.mix = nn.Conv2d(8, 2, 1)
        self.fc = nn.Linear(2 * 8 * 8, 5)

    def forward(self, x):
        a = torch.relu(self.conv_a(x))
        b = self.conv_b(a)
        c = torch.relu(a + b)
        x = torch.tanh(self.mix(torch.cat([c, a], dim=1)))
        return self.fc(torch.flatten(x, 1))


class ConvBnPoolBn(nn.Module):
    """Conv + BatchNorm2d (the exporter fuses them into one Conv with new initializer names) and a BatchNorm2d
    after a MaxPool, which has no Conv/Gemm to fold into: the design's per-channel affine AvgPool(1, trainable)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3)  # [2, 10, 10] -> [4, 8, 8]
        self.bn1 = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)  # -> [4, 4, 4]
        self.bn2 = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        x = self.bn2(self.pool(torch.relu(self.bn1(self.conv(x)))))
        return self.fc(torch.flatten(x, 1))


class UnsupportedOps(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.gelu = nn.GELU()  # opset 13: Div, Erf, Add, Mul, Mul
        self.fc2 = nn.Linear(8, 8)
        self.elu = nn.ELU()  # Elu
        self.fc3 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc3(self.elu(self.fc2(self.gelu(self.fc1(x)))))


class SoftmaxMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return torch.softmax(self.fc2(torch.relu(self.fc1(x))), dim=1)


def randomize_batch_norm(bn):
    """Running statistics and affine parameters away from their defaults (mean 0, var 1, weight 1, bias 0), so that
    folding them matters, and all four distinct (the exporter merges equal initializers into Identity nodes)."""
    with torch.no_grad():
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.25, 2.0)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)


def dense(units, activation, name, sources, shape):
    return {"kind": "Dense", "name": name, "activation": activation, "units": units, "sources": sources, "shape": shape}


def conv(kind, filters, kernel, activation, name, sources, shape, stride=1, padding=0):
    return {"kind": kind, "name": name, "activation": activation, "filters": filters, "kernel_size": kernel,
            "stride": stride, "padding": padding, "sources": sources, "shape": shape}


def pool(kind, size, stride, sources, shape, activation="Identity", trainable=False, name=None):
    return {"kind": kind, "name": name, "activation": activation, "size": size, "stride": stride,
            "trainable": trainable, "sources": sources, "shape": shape}


def join(kind, activation, sources, shape):
    return {"kind": kind, "name": None, "activation": activation, "sources": sources, "shape": shape}


# name, module class, seed, input shape (one sample), opset, symbolic batch?, description, inputs' scale,
# expected declaration, expected layers, and for unsupported models the op types the problems must name.
MODELS = [
    dict(
        name="mlp_bn_dropout", module=MlpBnDropout, seed=1601, shape=[20], opset=13, dynamic_batch=True,
        description="Linear(20,32) -> BatchNorm1d(32) (random running statistics and affine) -> ReLU -> Dropout(0.3)"
                    " -> Linear(32,16) -> Tanh -> Linear(16,5), logits. Eval-mode export removes the Dropout; the"
                    " BatchNormalization follows the Gemm and folds into it.",
        declaration=[
            "[Input(20)]",
            "[Dense(32, Activation.ReLU, Name = \"fc1\")]  // Gemm + BatchNormalization (folded) + Relu",
            "[Dense(16, Activation.Tanh, Name = \"fc2\")]",
            "[Dense(5, Name = \"out\")]  // logits",
        ],
        layers=[
            dense(32, "ReLU", "fc1", [0], [32]),
            dense(16, "Tanh", "fc2", [1], [16]),
            dense(5, "Identity", "out", [2], [5]),
        ],
        parameter_count=20 * 32 + 32 + 32 * 16 + 16 + 16 * 5 + 5,
    ),
    dict(
        name="lenet_logits", module=LeNetLogits, seed=1602, shape=[1, 28, 28], opset=13, dynamic_batch=True,
        description="LeNet-like CNN on [1,28,28]: Conv2d(1,6,5,padding=2) -> ReLU -> MaxPool2d(2) -> Conv2d(6,16,5)"
                    " -> ReLU -> AvgPool2d(2) -> Flatten -> Linear(400,120) -> ReLU -> Linear(120,84) -> ReLU ->"
                    " Linear(84,10), logits. torch 1.13 writes AvgPool2d as Constant -> Pad (all zero) -> AveragePool.",
        declaration=[
            "[Input(1, 28, 28)]",
            "[Conv2D(6, 5, Activation.ReLU, Padding = 2, Name = \"conv1\")]",
            "[MaxPool(2)]",
            "[Conv2D(16, 5, Activation.ReLU, Name = \"conv2\")]",
            "[AvgPool(2)]  // Pad with all pads zero dropped",
            "[Dense(120, Activation.ReLU, Name = \"fc1\")]  // Flatten is free",
            "[Dense(84, Activation.ReLU, Name = \"fc2\")]",
            "[Dense(10, Name = \"fc3\")]  // logits; with LossFunction.CrossEntropy: Activation.Softmax + [Loss(LossFunction.CrossEntropy)]",
        ],
        layers=[
            conv("Conv2D", 6, 5, "ReLU", "conv1", [0], [6, 28, 28], padding=2),
            pool("MaxPool", 2, 2, [1], [6, 14, 14]),
            conv("Conv2D", 16, 5, "ReLU", "conv2", [2], [16, 10, 10]),
            pool("AvgPool", 2, 2, [3], [16, 5, 5]),
            dense(120, "ReLU", "fc1", [4], [120]),
            dense(84, "ReLU", "fc2", [5], [84]),
            dense(10, "Identity", "fc3", [6], [10]),
        ],
        parameter_count=6 * 25 + 6 + 16 * 6 * 25 + 16 + 400 * 120 + 120 + 120 * 84 + 84 + 84 * 10 + 10,
    ),
    dict(
        name="conv1d_stride_pad", module=Conv1dStridePad, seed=1603, shape=[3, 31], opset=17, dynamic_batch=False,
        description="Conv1d(3,8,5,stride=2,padding=2) -> Tanh -> Conv1d(8,4,3,padding=1) -> Sigmoid -> Flatten ->"
                    " Linear(64,6) on [3,31] (31 + 2*2 - 5 is even: the stride-2 windows tile the padded input exactly), exported at"
                    " opset 17 with a fixed batch of 1.",
        declaration=[
            "[Input(3, 31)]",
            "[Conv1D(8, 5, Activation.Tanh, Stride = 2, Padding = 2, Name = \"conv1\")]",
            "[Conv1D(4, 3, Activation.Sigmoid, Padding = 1, Name = \"conv2\")]",
            "[Dense(6, Name = \"fc\")]",
        ],
        layers=[
            conv("Conv1D", 8, 5, "Tanh", "conv1", [0], [8, 16], stride=2, padding=2),
            conv("Conv1D", 4, 3, "Sigmoid", "conv2", [1], [4, 16], padding=1),
            dense(6, "Identity", "fc", [2], [6]),
        ],
        parameter_count=3 * 8 * 5 + 8 + 8 * 4 * 3 + 4 + 64 * 6 + 6,
    ),
    dict(
        name="residual_add_concat", module=ResidualAddConcat, seed=1604, shape=[2, 8, 8], opset=13,
        dynamic_batch=False,
        description="a = ReLU(Conv2d(2,4,3,padding=1)(x)); b = Conv2d(4,4,3,padding=1)(a); c = ReLU(a + b);"
                    " Tanh(Conv2d(8,2,1)(cat([c, a], dim=1))) -> Flatten -> Linear(128,5), logits, on [2,8,8],"
                    " fixed batch of 1.",
        declaration=[
            "[Input(2, 8, 8)]",
            "[Conv2D(4, 3, Activation.ReLU, Padding = 1, Name = \"conv_a\")]",
            "[Conv2D(4, 3, Padding = 1, Name = \"conv_b\")]",
            "[Add(Name = \"add\", From = new[] { \"conv_a\", \"conv_b\" }, Activation = Activation.ReLU)]  // the importer picks its own name",
            "[Concat(From = new[] { \"add\", \"conv_a\" })]",
            "[Conv2D(2, 1, Activation.Tanh, Name = \"mix\")]",
            "[Dense(5, Name = \"fc\")]",
        ],
        layers=[
            conv("Conv2D", 4, 3, "ReLU", "conv_a", [0], [4, 8, 8], padding=1),
            conv("Conv2D", 4, 3, "Identity", "conv_b", [1], [4, 8, 8], padding=1),
            join("Add", "ReLU", [1, 2], [4, 8, 8]),
            join("Concat", "Identity", [3, 1], [8, 8, 8]),
            conv("Conv2D", 2, 1, "Tanh", "mix", [4], [2, 8, 8]),
            dense(5, "Identity", "fc", [5], [5]),
        ],
        parameter_count=2 * 4 * 9 + 4 + 4 * 4 * 9 + 4 + 8 * 2 + 2 + 128 * 5 + 5,
    ),
    dict(
        name="conv_bn_pool_bn", module=ConvBnPoolBn, seed=1605, shape=[2, 10, 10], opset=13, dynamic_batch=True,
        description="Conv2d(2,4,3) -> BatchNorm2d(4) -> ReLU -> MaxPool2d(2) -> BatchNorm2d(4) -> Flatten ->"
                    " Linear(64,3) on [2,10,10], random BN statistics. The exporter fuses conv+bn1 into one Conv"
                    " (initializers onnx::Conv_*, so the importer names that layer itself); bn2 stays a"
                    " BatchNormalization node after the MaxPool: a per-channel affine, AvgPool(1, Trainable = true).",
        declaration=[
            "[Input(2, 10, 10)]",
            "[Conv2D(4, 3, Activation.ReLU)]  // BatchNorm2d fused by the exporter; name made by the importer",
            "[MaxPool(2)]",
            "[AvgPool(1, Trainable = true)]  // BatchNormalization with no Conv/Gemm before it: coefficient γ/√(var+ε), bias β − mean·coefficient",
            "[Dense(3, Name = \"fc\")]",
        ],
        layers=[
            conv("Conv2D", 4, 3, "ReLU", None, [0], [4, 8, 8]),
            pool("MaxPool", 2, 2, [1], [4, 4, 4]),
            pool("AvgPool", 1, 1, [2], [4, 4, 4], trainable=True),
            dense(3, "Identity", "fc", [3], [3]),
        ],
        parameter_count=2 * 4 * 9 + 4 + 4 + 4 + 64 * 3 + 3,
    ),
    dict(
        name="softmax_opset11", module=SoftmaxMlp, seed=1606, shape=[4], opset=11, dynamic_batch=True,
        description="Linear(4,8) -> ReLU -> Linear(8,3) -> Softmax(dim=1), exported at opset 11 (Softmax axis 1 on"
                    " [N, 3], the last axis).",
        declaration=[
            "[Input(4)]",
            "[Dense(8, Activation.ReLU, Name = \"fc1\")]",
            "[Dense(3, Activation.Softmax, Name = \"fc2\")]",
        ],
        layers=[
            dense(8, "ReLU", "fc1", [0], [8]),
            dense(3, "Softmax", "fc2", [1], [3]),
        ],
        parameter_count=4 * 8 + 8 + 8 * 3 + 3,
    ),
    dict(
        name="unsupported_op", module=UnsupportedOps, seed=1607, shape=[6], opset=13, dynamic_batch=True,
        description="Linear(6,8) -> GELU -> Linear(8,8) -> ELU -> Linear(8,3): GELU is written as Div, Erf, Add,"
                    " Mul, Mul and ELU as Elu, none of which NetCompiler has; the import must fail and name every"
                    " unsupported node, not only the first.",
        declaration=None,
        layers=None,
        parameter_count=None,
        unsupported_op_types=["Erf", "Elu"],
    ),
]


def sample_inputs(generator, shape, count):
    """Multiples of 1/256 in [0, 1) for images (pixels), of 1/64 in [-2, 2) otherwise: exact floats, short text."""
    size = [count] + shape
    if len(shape) == 3 and shape[0] == 1:
        return torch.randint(0, 256, size, generator=generator).float() / 256
    return (torch.randint(0, 256, size, generator=generator).float() - 128) / 64


def pattern_input(shape):
    """x_i = (i mod 17) / 16, row-major: the stand-in image of the README's "From PyTorch to your app" example, which
    the package test (tests/Package/run.sh) runs on lenet_logits.onnx and compares with this sample's outputs."""
    count = 1
    for d in shape:
        count *= d
    return (torch.arange(count) % 17).float().div(16).reshape([1] + shape)


def export(model, spec, path):
    example = torch.zeros([1] + spec["shape"])
    kwargs = {}
    if spec["dynamic_batch"]:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "output": {0: "batch"}}
    torch.onnx.export(model, example, path, opset_version=spec["opset"], input_names=["input"],
                      output_names=["output"], do_constant_folding=True, **kwargs)


def lenet_fine_tuning(model, generator):
    """8 labelled inputs, nn.CrossEntropyLoss before training, and per-sample SGD in float32 from the same weights."""
    inputs = sample_inputs(generator, [1, 28, 28], 8)
    labels = torch.randint(0, 10, [8], generator=generator)
    learning_rate, passes = 0.05, 3
    with torch.no_grad():
        initial = float(nn.CrossEntropyLoss()(model(inputs), labels))
        initial_per_sample = numbers(nn.CrossEntropyLoss(reduction="none")(model(inputs), labels))
    trained = LeNetLogits()
    trained.load_state_dict(model.state_dict())
    trained.eval()  # no Dropout or BatchNorm here, so eval and train compute the same; eval keeps it explicit
    step_losses = []
    for _ in range(passes):
        for i in range(8):
            trained.zero_grad()
            loss = F.cross_entropy(trained(inputs[i:i + 1]), labels[i:i + 1])
            loss.backward()
            step_losses.append(float(loss))
            with torch.no_grad():
                for p in trained.parameters():
                    p -= learning_rate * p.grad
    with torch.no_grad():
        after = float(nn.CrossEntropyLoss()(trained(inputs), labels))
    assert after < initial, (after, initial)
    return {
        "inputs": [numbers(x) for x in inputs],
        "labels": [int(v) for v in labels],
        "initial_mean_loss": initial,
        "initial_losses": initial_per_sample,
        "learning_rate": learning_rate,
        "passes": passes,
        "step_losses": step_losses,
        "mean_loss_after": after,
    }


def make(spec):
    name = spec["name"]
    torch.manual_seed(spec["seed"])
    model = spec["module"]()
    for module in model.modules():
        if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
            randomize_batch_norm(module)
    model.eval()
    onnx_path = os.path.join(OUT_DIR, name + ".onnx")
    export(model, spec, onnx_path)

    graph = read_onnx(onnx_path)
    check = onnx_check(onnx_path)
    assert graph["opsets"].get("") == spec["opset"], graph["opsets"]
    assert [i["name"] for i in graph["inputs"] if i["name"] not in graph["initializers"]] == ["input"]
    onnx_input_dims = next(i["dims"] for i in graph["inputs"] if i["name"] == "input")
    assert onnx_input_dims == (["batch"] if spec["dynamic_batch"] else [1]) + spec["shape"], onnx_input_dims

    generator = torch.Generator().manual_seed(spec["seed"] + 1000)
    inputs = sample_inputs(generator, spec["shape"], SAMPLES)
    inputs = torch.cat([inputs, pattern_input(spec["shape"])])
    with torch.no_grad():
        outputs = torch.cat([model(x.unsqueeze(0)) for x in inputs])
        reference = model.double()
        outputs64 = torch.cat([reference(x.unsqueeze(0).double()) for x in inputs])
        model.float()
    content = {
        "generated_by": GENERATED_BY,
        "name": name,
        "onnx": name + ".onnx",
        "description": spec["description"],
        "opset": spec["opset"],
        "torch_version": torch.__version__,
        "onnx_input_dims": onnx_input_dims,
        "input_shape": spec["shape"],
        "output_size": outputs.shape[1],
        "node_op_types": [n["op_type"] for n in graph["nodes"]],
        "node_names": [n["name"] for n in graph["nodes"]],
        "initializers": graph["initializers"],
        "expected_declaration": spec["declaration"],
        "expected_layers": spec["layers"],
        "expected_parameter_count": spec["parameter_count"],
        "unsupported_op_types": spec.get("unsupported_op_types"),
        "inputs": [numbers(x) for x in inputs],
        "outputs": [numbers(y) for y in outputs],
        "outputs_float64": [numbers(y) for y in outputs64],
    }
    if spec["layers"] is not None:
        assert spec["layers"][-1]["shape"] == [outputs.shape[1]]
    if name == "lenet_logits":
        content["fine_tuning"] = lenet_fine_tuning(model, generator)
    write_json(os.path.join(OUT_DIR, name + ".json"), content)
    return graph, check


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    names = {spec["name"] for spec in MODELS}
    for file in os.listdir(OUT_DIR):  # files of models this script no longer makes
        stem, ext = os.path.splitext(file)
        if ext in (".onnx", ".json") and stem not in names:
            os.remove(os.path.join(OUT_DIR, file))
    for spec in MODELS:
        graph, check = make(spec)
        print("%s (opset %d, input %s): %s" % (spec["name"], spec["opset"],
                                                next(i["dims"] for i in graph["inputs"] if i["name"] == "input"),
                                                " ".join(n["op_type"] for n in graph["nodes"])))
        print("    initializers: %s; %s" % (", ".join(graph["initializers"]), check))
    for name in sorted(os.listdir(OUT_DIR)):
        print("%8d  %s" % (os.path.getsize(os.path.join(OUT_DIR, name)), name))


if __name__ == "__main__":
    main()
