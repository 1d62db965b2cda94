#!/usr/bin/python3
"""Independent PyTorch reference fixtures for NetCompiler's networks and optimizers.

Run with Debian's python3-torch (PyTorch 1.13) from the repository root or anywhere:

    /usr/bin/python3 tools/make_fixtures.py

It (re)writes tests/NetCompiler.Tests/Fixtures/pytorch/*.json; tests/NetCompiler.Tests/PyTorchFixtureTests.cs
checks the networks and optimizers against them. The output is a pure function of this script and the torch
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


# ---- JSON with every number as repr(float) (shortest round-trip form) and numeric arrays on one line ----

def number(value):
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("non-finite value in a fixture")
    return repr(value)


def is_vector(value):
    return isinstance(value, torch.Tensor) and value.dim() == 1


def emit(value, indent=0):
    pad = "  " * indent
    inner = "  " * (indent + 1)
    if isinstance(value, dict) and all(isinstance(v, (str, int, float)) for v in value.values()):
        return "{" + ", ".join('%s: %s' % (json.dumps(k), emit(v)) for k, v in value.items()) + "}"
    if isinstance(value, dict):
        items = ['%s%s: %s' % (inner, json.dumps(k), emit(v, indent + 1)) for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if is_vector(value):
        return "[" + ", ".join(number(v) for v in value.tolist()) + "]"
    if isinstance(value, torch.Tensor):
        raise ValueError("only vectors are written")
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
    for stale in sorted(set(f for f in os.listdir(OUT_DIR) if f.endswith(".json")) - written):
        os.remove(os.path.join(OUT_DIR, stale))
        print("removed stale " + stale)
    for f in sorted(written):
        print("%8d  %s" % (os.path.getsize(os.path.join(OUT_DIR, f)), os.path.relpath(os.path.join(OUT_DIR, f), ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
