#!/usr/bin/python3
"""Independent PyTorch reference fixtures for NetCompiler's networks and optimizers.

Run with Debian's python3-torch (PyTorch 1.13) from the repository root or anywhere:

    /usr/bin/python3 tools/make_fixtures.py

It (re)writes tests/NetCompiler.Tests/Fixtures/pytorch/*.json; tests/NetCompiler.Tests/PyTorchFixtureTests.cs
checks the networks and optimizers against them, and PyTorchGraphFixtureTests.cs the graph-*.json fixtures
(convolution, pooling, joins, LeNet-5; their conventions are above graph_fixture below). The output is a pure function of this script and the torch
version: every fixture seeds torch's generator itself, all arithmetic is float64 on one thread, and no time stamp
or path is written, so a re-run gives byte-identical files.

Conventions (those of src/NetCompiler/Topology/NetworkTopology.cs and src/NetCompiler/INetwork.cs):
  * parameters: layers in order; for each, W row-major [outputs, inputs] (nn.Linear.weight flattened), then b;
  * u^l = W^l x^(l-1) + b^l, x^l = f(u^l); LeakyReLU has slope 0.01; Softmax only on the output layer;
  * losses are per sample and summed over outputs, not averaged:
      SquaredError L = 1/2 sum_i (d_i - x_i)^2,  CrossEntropy L = -sum_i d_i log softmax(u^L)_i;
  * sensitivities u_hat^l = dR/du^l = -dL/du^l (R = -L), for l = 1..L;
  * gradients dL/dtheta in the parameter layout; an SGD step is theta <- theta - eta * g.
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "NetCompiler.Tests", "Fixtures", "pytorch")
COMMAND = "/usr/bin/python3 tools/make_fixtures.py"
GENERATED_BY = "tools/make_fixtures.py with torch %s (float64); regenerate with: %s" % (torch.__version__, COMMAND)

DTYPE = torch.float64
LEAKY_SLOPE = 0.01
BATCH = 3
SGD_LEARNING_RATE = 0.1
# Pre-activations of ReLU/LeakyReLU layers are kept at least this far from the kink at 0, so that an engine
# (in float or in double) cannot land on the other side of it through rounding and get another derivative.
KINK_MARGIN = 1e-3

# name, seed, input size, [(units, activation)], loss, target kinds for CrossEntropy samples.
NETWORKS = [
    ("3-5-2-tanh-sigmoid-se", 101, 3, [(5, "Tanh"), (2, "Sigmoid")], "SquaredError"),
    ("12-16-8-4-relu-relu-softmax-ce", 102, 12, [(16, "ReLU"), (8, "ReLU"), (4, "Softmax")], "CrossEntropy"),
    ("2-4-1-tanh-sigmoid-se", 103, 2, [(4, "Tanh"), (1, "Sigmoid")], "SquaredError"),
    ("9-17-33-7-leakyrelu-tanh-identity-se", 104, 9, [(17, "LeakyReLU"), (33, "Tanh"), (7, "Identity")], "SquaredError"),
    ("1-3-1-sigmoid-identity-se", 105, 1, [(3, "Sigmoid"), (1, "Identity")], "SquaredError"),
    ("8-7-3-tanh-softmax-se", 106, 8, [(7, "Tanh"), (3, "Softmax")], "SquaredError"),
    ("20-9-10-relu-softmax-ce", 107, 20, [(9, "ReLU"), (10, "Softmax")], "CrossEntropy"),
]

OPTIMIZER_SEED = 201
OPTIMIZER_PARAMETERS = 8
OPTIMIZER_STEPS = 6


def activate(name, u):
    if name == "Identity":
        return u
    if name == "Sigmoid":
        return torch.sigmoid(u)
    if name == "Tanh":
        return torch.tanh(u)
    if name == "ReLU":
        return torch.relu(u)
    if name == "LeakyReLU":
        return F.leaky_relu(u, LEAKY_SLOPE)
    if name == "Softmax":
        return torch.softmax(u, dim=-1)
    raise ValueError("unknown activation " + name)


def make_layers(input_size, layers):
    """nn.Linear layers in float64 with PyTorch's default initialisation, drawn in layer order."""
    linears = []
    inputs = input_size
    for units, _ in layers:
        linears.append(torch.nn.Linear(inputs, units, dtype=DTYPE))
        inputs = units
    return linears


def parameter_list(linears):
    result = []
    for linear in linears:
        result.append(linear.weight)  # [outputs, inputs], row-major when flattened
        result.append(linear.bias)
    return result


def flat(tensors):
    return torch.cat([t.detach().reshape(-1) for t in tensors])


def forward(linears, layers, x):
    """Returns the activities x^0..x^L and the pre-activations u^1..u^L (with retained gradients)."""
    activities = [x]
    pre = []
    for linear, (_, activation) in zip(linears, layers):
        u = linear(x)
        if u.requires_grad:
            u.retain_grad()
        x = activate(activation, u)
        pre.append(u)
        activities.append(x)
    return activities, pre


def loss_of(loss, activities, pre, target):
    """Per-sample loss, summed over outputs (and over the leading batch dimension, if there is one)."""
    if loss == "SquaredError":
        return 0.5 * ((target - activities[-1]) ** 2).sum()
    if loss == "CrossEntropy":
        return -(target * torch.log_softmax(pre[-1], dim=-1)).sum()
    raise ValueError("unknown loss " + loss)


def zero_grads(params):
    for p in params:
        p.grad = None


def draw_target(loss, output_activation, outputs, index):
    if loss == "CrossEntropy":
        if index == BATCH - 1:  # the last sample has a general target distribution, the others one-hot
            d = torch.rand(outputs, dtype=DTYPE) + 0.05
            return d / d.sum()
        d = torch.zeros(outputs, dtype=DTYPE)
        d[int(torch.randint(outputs, (1,)))] = 1.0
        return d
    if output_activation in ("Sigmoid", "Softmax"):
        return torch.rand(outputs, dtype=DTYPE)
    if output_activation == "Tanh":
        return torch.rand(outputs, dtype=DTYPE) * 2 - 1
    return torch.rand(outputs, dtype=DTYPE) * 4 - 2


def near_kink(layers, pre):
    for (_, activation), u in zip(layers, pre):
        if activation in ("ReLU", "LeakyReLU") and float(u.detach().abs().min()) < KINK_MARGIN:
            return True
    return False


def network_fixture(name, seed, input_size, layers, loss):
    torch.manual_seed(seed)
    linears = make_layers(input_size, layers)
    params = parameter_list(linears)
    parameters = flat(params)

    samples = []
    inputs = []
    targets = []
    gradient_total = torch.zeros_like(parameters)
    for s in range(BATCH):
        while True:  # redraw inputs that put a ReLU/LeakyReLU pre-activation too close to 0
            x0 = torch.rand(input_size, dtype=DTYPE) * 4 - 2
            with torch.no_grad():
                _, pre = forward(linears, layers, x0)
            if not near_kink(layers, pre):
                break
        d = draw_target(loss, layers[-1][1], layers[-1][0], s)

        zero_grads(params)
        activities, pre = forward(linears, layers, x0)
        L = loss_of(loss, activities, pre, d)
        L.backward()
        gradient = flat([p.grad for p in params])
        gradient_total += gradient
        samples.append({
            "input": x0,
            "target": d,
            "output": activities[-1].detach(),
            "loss": float(L),
            "activities": [a.detach() for a in activities],
            "sensitivities": [-u.grad for u in pre],
            "gradient": gradient,
        })
        inputs.append(x0)
        targets.append(d)

    # The summed gradient once more, independently: one batched forward/backward with the batch's losses summed.
    zero_grads(params)
    activities, pre = forward(linears, layers, torch.stack(inputs))
    loss_of(loss, activities, pre, torch.stack(targets)).backward()
    gradient_sum = flat([p.grad for p in params])
    assert torch.allclose(gradient_sum, gradient_total, rtol=1e-12, atol=1e-14), name

    # One plain SGD step on the summed gradient.
    for p in params:
        p.grad = p.grad.clone()
    torch.optim.SGD(params, lr=SGD_LEARNING_RATE).step()
    parameters_after = flat(params)

    return {
        "generated_by": GENERATED_BY,
        "name": name,
        "seed": seed,
        "input_size": input_size,
        "layers": [{"units": units, "activation": activation} for units, activation in layers],
        "loss": loss,
        "parameter_count": int(parameters.numel()),
        "parameters": parameters,
        "samples": samples,
        "gradient_sum": gradient_sum,
        "sgd": {"learning_rate": SGD_LEARNING_RATE, "parameters_after": parameters_after},
    }


def optimizer_fixture():
    torch.manual_seed(OPTIMIZER_SEED)
    initial = torch.rand(OPTIMIZER_PARAMETERS, dtype=DTYPE) * 2 - 1
    gradients = torch.randn(OPTIMIZER_STEPS, OPTIMIZER_PARAMETERS, dtype=DTYPE)
    gradients[:, 5] *= 100.0   # large gradients
    gradients[:, 6] *= 1e-9    # tiny gradients: Adam's result depends on where eps is added
    gradients[:, 7] = 0.0      # a parameter that never gets a gradient
    gradients[2, 3] = 0.0      # and one that misses a single step

    cases = [
        ("sgd-momentum", "SgdMomentum", dict(lr=0.1, momentum=0.9, nesterov=False)),
        ("sgd-nesterov", "SgdMomentum", dict(lr=0.1, momentum=0.9, nesterov=True)),
        ("adam-lr-0.01", "Adam", dict(lr=0.01)),
        ("adam-lr-0.001", "Adam", dict(lr=0.001)),
    ]
    result = []
    for name, kind, options in cases:
        p = initial.clone().requires_grad_(True)
        if kind == "SgdMomentum":
            optimizer = torch.optim.SGD([p], **options)
        else:
            optimizer = torch.optim.Adam([p], **options)
        group = optimizer.param_groups[0]
        after = []
        for step in range(OPTIMIZER_STEPS):
            p.grad = gradients[step].clone()
            optimizer.step()
            after.append(p.detach().clone())
        case = {"name": name, "optimizer": kind, "learning_rate": options["lr"]}
        if kind == "SgdMomentum":
            case.update(momentum=group["momentum"], dampening=group["dampening"], nesterov=group["nesterov"],
                        weight_decay=group["weight_decay"])
        else:
            case.update(beta1=group["betas"][0], beta2=group["betas"][1], eps=group["eps"],
                        weight_decay=group["weight_decay"], amsgrad=group["amsgrad"])
        case["parameters_after_step"] = after
        result.append(case)

    return {
        "generated_by": GENERATED_BY,
        "seed": OPTIMIZER_SEED,
        "parameter_count": OPTIMIZER_PARAMETERS,
        "steps": OPTIMIZER_STEPS,
        "initial_parameters": initial,
        "gradients": list(gradients),
        "cases": result,
    }


# ---- Graph fixtures: convolution, pooling, joins and LeNet-5 (issue 4) ----
#
# Conventions (those of src/NetCompiler/Topology/LayerShape.cs and LayerSpecs.cs), in addition to the above:
#  * activities are stored row-major: [features], [channels, length] or [channels, height, width]; a dense layer
#    reads any source flattened in that order;
#  * Dense: u = sum_beta W^beta x^beta + b, one W^beta [units, size(x^beta)] per source in From order, then b;
#  * Conv1D/Conv2D: u[o,y,x] = b[o] + sum_i sum_ky,kx w[o,i,ky,kx] x[i, y*s+ky-p, x*s+kx-p] (zero outside), the
#    weights [filters, channels, k(, k)] as torch's conv weight; with a connection table only the connected (o, i)
#    kernels are stored, row-major; torch sees the full weight with the missing kernels masked to zero;
#  * MaxPool / AvgPool: windows of size (size x size in 2-D) every stride, no padding; MaxPool has no u (u_hat is
#    x_hat); AvgPool u = mean, trainable AvgPool u = c*mean + b per channel (c[channels] then b[channels]), x = f(u);
#  * Add: u = sum of the sources, x = f(u); Concat: x = the sources' buffers one after the other (no u: u_hat = x_hat);
#  * the single leaf tensor is theta itself: every layer's weights are views (or, with a table, a masked gather) of
#    it, so theta.grad is dL/dtheta in NetCompiler's layout by construction.
#
# Parameters are not drawn with torch's generator but with a rule C# can replay bit for bit (LeNet-5's 60,850 would
# not fit in a small file otherwise): parameter k of a block (offset, count, center, bound) is
#     z = splitmix64 output for state seed + (k + 1) * 0x9E3779B97F4A7C15 (mod 2^64)
#     r = ((z >> 11) - 2^52) / 2^52             (exact, in [-1, 1))
#     theta_k = center + bound * r              (two IEEE roundings, the same in any language)
# where k is the index in the whole parameter vector. Inputs and targets come from torch's seeded generator and are
# written out.

GRAPH_SAMPLES = 3
LENET_SAMPLES = 2
TIE_MARGIN = 1e-3  # every max-pool window's largest value beats its second largest by at least this much
SPLITMIX_GAMMA = 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1
# Above this many parameters a fixture stores the rule only (LeNet-5); below it, the values too, so that the tests
# check the C# replay of the rule against these values.
EXPLICIT_PARAMETER_LIMIT = 5000
# In a compact fixture (LeNet-5) only buffers of at most this many values are written per sample.
COMPACT_BUFFER_LIMIT = 400

C3_TABLE = ["XXX...", ".XXX..", "..XXX.", "...XXX", "X...XX", "XX...X", "XXXX..", ".XXXX.", "..XXXX", "X..XXX",
            "XX..XX", "XXX..X", "XX.XX.", ".XX.XX", "X.XX.X", "XXXXXX"]


def Dense(units, activation, name=None, frm=None):
    return {"kind": "Dense", "name": name, "from": frm, "units": units, "activation": activation}


def Conv(dims, filters, kernel, activation, stride=1, padding=0, name=None, frm=None, connections=None):
    return {"kind": "Conv%dD" % dims, "name": name, "from": frm, "filters": filters, "kernel": kernel, "stride": stride,
            "padding": padding, "activation": activation, "connections": connections}


def Pool(kind, size, stride=0, trainable=False, activation="Identity", name=None, frm=None):
    return {"kind": kind, "name": name, "from": frm, "size": size, "stride": stride, "trainable": trainable,
            "activation": activation}


def Join(kind, frm, activation="Identity", name=None):
    return {"kind": kind, "name": name, "from": frm, "activation": activation}


# name, seed, input shape, layers, loss, number of samples, compact.
GRAPHS = [
    ("graph-conv1d-stride2-pad1", 301, [2, 11], [
        Conv(1, 4, 3, "Tanh", stride=2, padding=1),            # [4, 6]
        Conv(1, 2, 3, "Identity", stride=3),                   # [2, 2]
    ], "SquaredError", GRAPH_SAMPLES, False),
    ("graph-conv2d-stride2-pad1", 302, [2, 7, 9], [
        Conv(2, 3, 3, "ReLU", stride=2, padding=1),            # [3, 4, 5]
        Conv(2, 2, 2, "Tanh"),                                 # [2, 3, 4]
    ], "SquaredError", GRAPH_SAMPLES, False),
    ("graph-conv2d-connection-table", 303, [4, 6, 6], [
        Conv(2, 5, 3, "Tanh", padding=1, connections=["XX..", ".XX.", "..XX", "X..X", "XXXX"]),  # [5, 6, 6]
        Conv(2, 2, 3, "Identity", stride=3, connections=["XXX..", "..XXX"]),                      # [2, 2, 2]
    ], "SquaredError", GRAPH_SAMPLES, False),
    ("graph-pool1d", 304, [2, 14], [
        Conv(1, 3, 3, "Tanh"),                                 # [3, 12]
        Pool("MaxPool", 3),                                    # [3, 4]
        Pool("AvgPool", 2, stride=1),                          # [3, 3]
        Dense(2, "Identity"),
    ], "SquaredError", GRAPH_SAMPLES, False),
    ("graph-pool2d", 305, [2, 10, 10], [
        Conv(2, 3, 2, "Tanh"),                                 # [3, 9, 9]
        Pool("MaxPool", 3, stride=2),                          # [3, 4, 4], overlapping windows
        Pool("AvgPool", 2),                                    # [3, 2, 2]
        Dense(3, "Softmax"),
    ], "CrossEntropy", GRAPH_SAMPLES, False),
    ("graph-avgpool-trainable-1d", 306, [2, 12], [
        Conv(1, 3, 3, "Identity", padding=1),                  # [3, 12]
        Pool("AvgPool", 2, trainable=True, activation="Tanh"),                # [3, 6]
        Pool("AvgPool", 2, stride=2, trainable=True, activation="Sigmoid"),   # [3, 3]
        Dense(2, "Identity"),
    ], "SquaredError", GRAPH_SAMPLES, False),
    ("graph-avgpool-trainable-2d", 307, [2, 8, 8], [
        Conv(2, 3, 3, "Identity", padding=1),                  # [3, 8, 8]
        Pool("AvgPool", 2, trainable=True, activation="Tanh"),                # [3, 4, 4]
        Pool("AvgPool", 2, stride=1, trainable=True, activation="Sigmoid"),   # [3, 3, 3], overlapping windows
        Dense(2, "Identity"),
    ], "SquaredError", GRAPH_SAMPLES, False),
    ("graph-dense-after-conv", 308, [1, 6, 6], [
        Conv(2, 2, 3, "LeakyReLU"),                            # [2, 4, 4]
        Dense(5, "Tanh"),                                      # reads [2, 4, 4] flattened
        Dense(3, "Softmax"),
    ], "CrossEntropy", GRAPH_SAMPLES, False),
    ("graph-residual-two-source-dense", 309, [6], [
        Dense(5, "Tanh", name="h"),
        Dense(5, "Tanh", name="g"),
        Join("Add", ["h", "g"], "Tanh", name="r"),
        Dense(4, "Softmax", frm=["r", "h"]),                   # W_r x_r + W_h x_h + b
    ], "CrossEntropy", GRAPH_SAMPLES, False),
    ("graph-concat", 310, [2, 5, 5], [
        Conv(2, 3, 3, "Tanh", padding=1, name="a"),            # [3, 5, 5]
        Conv(2, 3, 3, "Tanh", padding=1, name="b"),            # [3, 5, 5]
        Join("Add", ["a", "b"], name="r"),                     # conv residual
        Join("Concat", ["r", "input"], name="j"),              # channels: [5, 5, 5]
        Conv(2, 2, 3, "Sigmoid", stride=2, name="c"),          # [2, 2, 2]
        Dense(3, "Tanh", name="d", frm=["a"]),
        Dense(3, "Tanh", name="e", frm=["c"]),
        Join("Concat", ["d", "e"], name="k"),                  # features: [6]
        Dense(2, "Identity"),
    ], "SquaredError", GRAPH_SAMPLES, False),
    ("graph-lenet5", 311, [1, 28, 28], [
        Conv(2, 6, 5, "Tanh", padding=2, name="c1"),           # [6, 28, 28]
        Pool("AvgPool", 2, trainable=True, activation="Tanh"),  # [6, 14, 14]
        Conv(2, 16, 5, "Tanh", connections=C3_TABLE),          # [16, 10, 10]
        Pool("AvgPool", 2, trainable=True, activation="Tanh"),  # [16, 5, 5]
        Conv(2, 120, 5, "Tanh"),                               # [120, 1, 1]
        Dense(84, "Tanh"),
        Dense(10, "Softmax"),
    ], "CrossEntropy", LENET_SAMPLES, True),
]


def splitmix64(seed, k):
    z = (seed + (k + 1) * SPLITMIX_GAMMA) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def rule_parameters(seed, blocks, count):
    values = [0.0] * count
    for block in blocks:
        center, bound = block["center"], block["bound"]
        for k in range(block["offset"], block["offset"] + block["count"]):
            r = float((splitmix64(seed, k) >> 11) - (1 << 52)) / float(1 << 52)
            values[k] = center + bound * r
    return torch.tensor(values, dtype=DTYPE)


def out_extent(extent, window, stride, padding):
    padded = extent + 2 * padding
    assert window <= padded and (padded - window) % stride == 0, "the topology rules reject this"
    return (padded - window) // stride + 1


class Graph:
    """The fixture's topology resolved as NetworkTopology resolves it: sources, shapes, parameter layout."""

    def __init__(self, input_shape, layers):
        self.input_shape = list(input_shape)
        self.layers = layers
        names = {"input": 0}
        for l, layer in enumerate(layers, 1):
            if layer["name"] is not None:
                names[layer["name"]] = l
        self.sources = [None]
        self.shapes = [self.input_shape]
        self.offsets = []
        self.blocks = []  # parameter-rule blocks
        offset = 0
        for l, layer in enumerate(layers, 1):
            sources = [l - 1] if layer["from"] is None else [names[n] for n in layer["from"]]
            assert all(s < l for s in sources), "declaration order must be an execution order here"
            shapes = [self.shapes[s] for s in sources]
            kind = layer["kind"]
            count = 0
            if kind == "Dense":
                fan_in = sum(size(s) for s in shapes)
                shape = [layer["units"]]
                count = layer["units"] * fan_in + layer["units"]
                bound = 1.0 / math.sqrt(fan_in)
                self.blocks.append({"offset": offset, "count": count, "center": 0.0, "bound": bound})
            elif kind in ("Conv1D", "Conv2D"):
                x = shapes[0]
                dims = 1 if kind == "Conv1D" else 2
                volume = layer["kernel"] ** dims
                table = layer["connections"]
                kernels = layer["filters"] * x[0] if table is None else sum(row.count("X") for row in table)
                spatial = [out_extent(e, layer["kernel"], layer["stride"], layer["padding"]) for e in x[1:]]
                shape = [layer["filters"]] + spatial
                count = kernels * volume + layer["filters"]
                bound = 1.0 / math.sqrt(x[0] * volume)
                self.blocks.append({"offset": offset, "count": count, "center": 0.0, "bound": bound})
            elif kind in ("MaxPool", "AvgPool"):
                x = shapes[0]
                stride = layer["stride"] or layer["size"]
                shape = [x[0]] + [out_extent(e, layer["size"], stride, 0) for e in x[1:]]
                if layer["trainable"]:
                    count = 2 * x[0]
                    self.blocks.append({"offset": offset, "count": x[0], "center": 1.0, "bound": 0.5})
                    self.blocks.append({"offset": offset + x[0], "count": x[0], "center": 0.0, "bound": 0.5})
            elif kind == "Add":
                assert all(s == shapes[0] for s in shapes)
                shape = shapes[0]
            elif kind == "Concat":
                if len(shapes[0]) == 1:
                    shape = [sum(s[0] for s in shapes)]
                else:
                    assert all(s[1:] == shapes[0][1:] for s in shapes)
                    shape = [sum(s[0] for s in shapes)] + shapes[0][1:]
            else:
                raise ValueError(kind)
            self.sources.append(sources)
            self.shapes.append(shape)
            self.offsets.append((offset, count))
            offset += count
        self.parameter_count = offset
        self.output = len(layers)

    def has_parameters(self, l):
        return self.offsets[l - 1][1] > 0


def size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def conv_weight(graph, l, theta):
    """The full torch weight [filters, channels, k(, k)] of conv layer l as a function of theta (masked by a table)."""
    layer = graph.layers[l - 1]
    x = graph.shapes[graph.sources[l][0]]
    dims = 1 if layer["kind"] == "Conv1D" else 2
    volume = layer["kernel"] ** dims
    filters, channels = layer["filters"], x[0]
    offset = graph.offsets[l - 1][0]
    full_shape = [filters, channels] + [layer["kernel"]] * dims
    table = layer["connections"]
    if table is None:
        return theta[offset:offset + filters * channels * volume].view(full_shape)
    index = torch.zeros(filters * channels, volume, dtype=torch.long)
    mask = torch.zeros(filters * channels, volume, dtype=DTYPE)
    k = offset
    for o in range(filters):
        for i in range(channels):
            if table[o][i] == "X":
                index[o * channels + i] = torch.arange(k, k + volume)
                mask[o * channels + i] = 1.0
                k += volume
    return (theta[index] * mask).view(full_shape)


def conv_bias(graph, l, theta):
    offset, count = graph.offsets[l - 1]
    filters = graph.layers[l - 1]["filters"]
    return theta[offset + count - filters:offset + count]


def graph_forward(graph, theta, x0):
    """x0 has a leading batch dimension. Returns activities x^0..x^L and pre-activations (u, or x for layers without u)."""
    activities = [x0]
    pre = [None]
    batch = x0.shape[0]
    for l, layer in enumerate(graph.layers, 1):
        kind = layer["kind"]
        xs = [activities[s] for s in graph.sources[l]]
        offset, count = graph.offsets[l - 1]
        if kind == "Dense":
            units = layer["units"]
            k = offset
            u = None
            for x in xs:
                flat_x = x.reshape(batch, -1)
                n = flat_x.shape[1]
                w = theta[k:k + units * n].view(units, n)
                k += units * n
                term = flat_x @ w.t()
                u = term if u is None else u + term
            u = u + theta[k:k + units]
        elif kind == "Conv1D":
            u = F.conv1d(xs[0], conv_weight(graph, l, theta), conv_bias(graph, l, theta), stride=layer["stride"], padding=layer["padding"])
        elif kind == "Conv2D":
            u = F.conv2d(xs[0], conv_weight(graph, l, theta), conv_bias(graph, l, theta), stride=layer["stride"], padding=layer["padding"])
        elif kind in ("MaxPool", "AvgPool"):
            x = xs[0]
            stride = layer["stride"] or layer["size"]
            two = x.dim() == 4
            if kind == "MaxPool":
                u = (F.max_pool2d if two else F.max_pool1d)(x, layer["size"], stride)
            else:
                u = (F.avg_pool2d if two else F.avg_pool1d)(x, layer["size"], stride)
                if layer["trainable"]:
                    channels = x.shape[1]
                    view = [1, channels] + [1] * (x.dim() - 2)
                    c = theta[offset:offset + channels].view(view)
                    b = theta[offset + channels:offset + 2 * channels].view(view)
                    u = c * u + b
        elif kind == "Add":
            u = xs[0]
            for x in xs[1:]:
                u = u + x
        elif kind == "Concat":
            u = torch.cat(xs, dim=1)
        else:
            raise ValueError(kind)
        if u.requires_grad:
            u.retain_grad()
        if layer["activation"] == "Softmax":
            x = torch.softmax(u.reshape(batch, -1), dim=-1).view(u.shape)
        else:
            x = activate(layer["activation"], u)
        pre.append(u)
        activities.append(x)
    return activities, pre


def graph_loss(loss, activities, pre, target):
    """Summed over the batch and the outputs; target is [batch, outputs]."""
    batch = target.shape[0]
    if loss == "SquaredError":
        return 0.5 * ((target - activities[-1].reshape(batch, -1)) ** 2).sum()
    if loss == "CrossEntropy":
        return -(target * torch.log_softmax(pre[-1].reshape(batch, -1), dim=-1)).sum()
    raise ValueError("unknown loss " + loss)


def too_close(graph, activities, pre):
    """True when a ReLU/LeakyReLU pre-activation is near its kink or a max-pool window nearly ties."""
    for l, layer in enumerate(graph.layers, 1):
        if layer["activation"] in ("ReLU", "LeakyReLU") and float(pre[l].abs().min()) < KINK_MARGIN:
            return True
        if layer["kind"] == "MaxPool":
            x = activities[graph.sources[l][0]]
            stride = layer["stride"] or layer["size"]
            if x.dim() == 4:
                windows = F.unfold(x, layer["size"], stride=stride)  # [B, C*size*size, positions]
                windows = windows.view(x.shape[0], x.shape[1], layer["size"] ** 2, -1).transpose(2, 3)
            else:
                windows = x.unfold(2, layer["size"], stride)        # [B, C, positions, size]
            top = windows.topk(2, dim=-1).values
            if float((top[..., 0] - top[..., 1]).min()) < TIE_MARGIN:
                return True
    return False


def graph_target(loss, activation, outputs, index, count):
    if loss == "CrossEntropy":
        if index == count - 1:  # the last sample has a general target distribution, the others one-hot
            d = torch.rand(outputs, dtype=DTYPE) + 0.05
            return d / d.sum()
        d = torch.zeros(outputs, dtype=DTYPE)
        d[int(torch.randint(outputs, (1,)))] = 1.0
        return d
    if activation in ("Sigmoid", "Softmax"):
        return torch.rand(outputs, dtype=DTYPE)
    if activation == "Tanh":
        return torch.rand(outputs, dtype=DTYPE) * 2 - 1
    return torch.rand(outputs, dtype=DTYPE) * 4 - 2


def outer_product_layer(graph, l):
    """True when layer l's gradient is exactly -u_hat (x^source)^T then -u_hat: a one-source dense layer, or a
    convolution whose single kernel position covers its whole unpadded source (LeNet's C5)."""
    layer = graph.layers[l - 1]
    if len(graph.sources[l]) != 1:
        return False
    if layer["kind"] == "Dense":
        return True
    if layer["kind"] in ("Conv1D", "Conv2D"):
        return (layer["connections"] is None and layer["padding"] == 0 and size(graph.shapes[l][1:]) == 1
                and all(e == layer["kernel"] for e in graph.shapes[graph.sources[l][0]][1:]))
    return False


def layer_description(graph, l):
    layer = dict(graph.layers[l - 1])
    layer["shape"] = graph.shapes[l]
    layer["parameter_offset"], layer["parameter_count"] = graph.offsets[l - 1]
    return layer


def graph_fixture(name, seed, input_shape, layers, loss, count, compact):
    graph = Graph(input_shape, layers)
    theta = rule_parameters(seed, graph.blocks, graph.parameter_count).requires_grad_(True)
    torch.manual_seed(seed)
    out_layer = layers[-1]
    outputs = size(graph.shapes[-1])

    def stored(vector):
        return vector if not compact or vector.numel() <= COMPACT_BUFFER_LIMIT else None

    samples = []
    inputs, targets, gradient_total = [], [], torch.zeros(graph.parameter_count, dtype=DTYPE)
    for s in range(count):
        while True:  # redraw inputs that put a ReLU/LeakyReLU near its kink or a max-pool window near a tie
            x0 = torch.rand([1] + input_shape, dtype=DTYPE) * 2 - 1
            with torch.no_grad():
                activities, pre = graph_forward(graph, theta, x0)
            if not too_close(graph, activities, pre):
                break
        d = graph_target(loss, out_layer["activation"], outputs, s, count)
        x0.requires_grad_(True)
        theta.grad = None
        activities, pre = graph_forward(graph, theta, x0)
        L = graph_loss(loss, activities, pre, d.view(1, -1))
        L.backward()
        gradient = theta.grad.detach().clone()
        gradient_total += gradient
        sensitivities = [-u.grad.reshape(-1) for u in pre[1:]]
        xs = [a.detach().reshape(-1) for a in activities]

        blocks = []
        for l in range(1, len(layers) + 1):
            offset, n = graph.offsets[l - 1]
            if n == 0:
                continue
            values = gradient[offset:offset + n]
            if compact and n > COMPACT_BUFFER_LIMIT and outer_product_layer(graph, l):
                # Not written: the block is -u_hat^l (x^source)^T, then -u_hat^l. Check that here.
                u_hat, x = sensitivities[l - 1], xs[graph.sources[l][0]]
                assert stored(u_hat) is not None and stored(x) is not None
                rebuilt = torch.cat([-torch.outer(u_hat, x).reshape(-1), -u_hat])
                assert torch.allclose(rebuilt, values, rtol=1e-14, atol=1e-300), (name, l)
                values = None
            blocks.append({"layer": l, "offset": offset, "count": n, "values": values})

        samples.append({
            "input": xs[0],
            "target": d,
            "output": xs[-1],
            "loss": float(L),
            "input_gradient": x0.grad.reshape(-1).clone(),
            "activities": [stored(x) for x in xs],
            "sensitivities": [stored(u) for u in sensitivities],
            "gradient": blocks,
        })
        inputs.append(x0.detach()[0])
        targets.append(d)

    # The summed gradient once more, independently: one batched forward/backward with the batch's losses summed.
    theta.grad = None
    activities, pre = graph_forward(graph, theta, torch.stack(inputs))
    graph_loss(loss, activities, pre, torch.stack(targets)).backward()
    assert torch.allclose(theta.grad, gradient_total, rtol=1e-12, atol=1e-14), name

    parameters = theta.detach()
    return {
        "generated_by": GENERATED_BY,
        "name": name,
        "seed": seed,
        "input_shape": input_shape,
        "layers": [layer_description(graph, l) for l in range(1, len(layers) + 1)],
        "loss": loss,
        "output": None,
        "parameter_count": graph.parameter_count,
        "parameter_rule": {"generator": "splitmix64", "seed": seed, "blocks": graph.blocks},
        "parameters": parameters if graph.parameter_count <= EXPLICIT_PARAMETER_LIMIT else None,
        "compact": compact,
        "samples": samples,
    }


# ---- JSON with every number as repr(float) (shortest round-trip form) and numeric arrays on one line ----

def number(value):
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("non-finite value in a fixture")
    return repr(value)


def is_vector(value):
    return isinstance(value, torch.Tensor) and value.dim() == 1


def is_plain(value):
    """A value written inline: a scalar, null, or a list of integers and strings."""
    if value is None or isinstance(value, (str, int, float)):
        return True
    return isinstance(value, list) and all(isinstance(v, (str, int)) for v in value)


def emit(value, indent=0):
    pad = "  " * indent
    inner = "  " * (indent + 1)
    if isinstance(value, dict) and all(is_plain(v) for v in value.values()):
        return "{" + ", ".join('%s: %s' % (json.dumps(k), emit(v)) for k, v in value.items()) + "}"
    if isinstance(value, dict):
        items = ['%s%s: %s' % (inner, json.dumps(k), emit(v, indent + 1)) for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if is_vector(value):
        return "[" + ", ".join(number(v) for v in value.tolist()) + "]"
    if isinstance(value, torch.Tensor):
        raise ValueError("only vectors are written")
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return "[" + ", ".join(emit(v) for v in value) + "]"
    if isinstance(value, list):
        if all(is_vector(v) for v in value) and len(value) <= 1:
            return "[" + ", ".join(emit(v, indent + 1) for v in value) + "]"
        return "[\n" + ",\n".join(inner + emit(v, indent + 1) for v in value) + "\n" + pad + "]"
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return json.dumps(value)
    if isinstance(value, float):
        return number(value)
    raise TypeError(type(value))


def write(file_name, content):
    path = os.path.join(OUT_DIR, file_name)
    text = emit(content) + "\n"
    json.loads(text)  # well-formed
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT_DIR, exist_ok=True)
    written = set()
    for name, seed, input_size, layers, loss in NETWORKS:
        write(name + ".json", network_fixture(name, seed, input_size, layers, loss))
        written.add(name + ".json")
    write("optimizers.json", optimizer_fixture())
    written.add("optimizers.json")
    for name, seed, input_shape, layers, loss, count, compact in GRAPHS:
        write(name + ".json", graph_fixture(name, seed, input_shape, layers, loss, count, compact))
        written.add(name + ".json")
    for stale in sorted(set(f for f in os.listdir(OUT_DIR) if f.endswith(".json")) - written):
        os.remove(os.path.join(OUT_DIR, stale))
        print("removed stale " + stale)
    for f in sorted(written):
        print("%8d  %s" % (os.path.getsize(os.path.join(OUT_DIR, f)), os.path.relpath(os.path.join(OUT_DIR, f), ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
