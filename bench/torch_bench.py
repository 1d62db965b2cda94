#!/usr/bin/python3
"""PyTorch with one thread on the weights the .NET benchmarks use: the libtorch column of the comparison.

    dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --torch [DIR] [-- --quick]
    (or: dotnet run ... -- --export-weights DIR; /usr/bin/python3 bench/torch_bench.py DIR [--quick] [--only LABEL])

DIR (default BenchmarkDotNet.Artifacts/torch) holds what the benchmark program exported per network: STEM.safetensors
(weights, PyTorch names and shapes), STEM.grad.safetensors (its gradients for one input) and STEM.json (that input,
the target, the output and the loss). Before timing a network the script loads the weights strictly, and checks its
batch-1 output (within 1e-4), loss and gradients against the .NET ones, so that a wrong network cannot look fast.

Needs Debian's python3-torch (1.13; no safetensors package: the file is parsed by the format's specification, as
tools/torch_lenet_check.py does). Measures, with torch.set_num_threads(1) and torch.set_num_interop_threads(1), inputs
preallocated, torch.utils.benchmark.Timer after a warm-up, the median of its blocks:
  - forward, batch 1 (no_grad; with the softmax of a softmax output, as the .NET Forward)
  - train step, batch 1: zero_grad(set_to_none=False), forward, loss, backward, SGD step
  - train step, minibatch 64 (loss summed over the batch, as the .NET engines accumulate)
  - inference, batch 64 (no_grad)
Writes DIR/torch-results.md (a Markdown table) and DIR/torch-results.json (all figures in ns, versions, settings).
LeNet-5's C3 is a full nn.Conv2d here (the absent kernels of the connection table are zero weights, but PyTorch
still computes them, and their gradients are not masked): the usual way to write it in PyTorch.
"""
import json
import os
import platform
import struct
import sys


def _openblas_core():
    """OpenBLAS picks its kernels by CPU model when it is loaded. Debian 12's OpenBLAS 0.3.21 does not know recent AMD
    cores (Zen 5 here) and falls back to its AVX2 "Haswell" kernels although the core runs AVX-512 at full width; its
    "SkylakeX" AVX-512 kernels measured 1.5x faster on a 64x784 by 784x128 product here. So unless the caller chose a
    core type, use SkylakeX where the CPU has AVX-512: the fairest libtorch this machine can run. Must happen before
    torch (hence OpenBLAS) is loaded."""
    if "OPENBLAS_CORETYPE" in os.environ:
        return os.environ["OPENBLAS_CORETYPE"] + " (set by the caller)"
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return "detected by OpenBLAS"
    if " avx512f" in flags and " avx512bw" in flags and " avx512vl" in flags and " avx512dq" in flags:
        os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
        return "SkylakeX (AVX-512; set by torch_bench.py)"
    return "detected by OpenBLAS"


OPENBLAS_CORE = _openblas_core()

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.utils.benchmark as benchmark
except ImportError:
    sys.stderr.write("PyTorch is not installed for %s: apt-get install python3-torch\n" % sys.executable)
    sys.exit(3)

# LeNet-5's PyTorch twin (samples/Shared/LeNet5.cs) is defined once, in tools/torch_lenet_check.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools"))
from torch_lenet_check import LeNet5  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

LEARNING_RATE = 1e-6  # as the .NET TrainStep benchmarks: the weights hardly move while they are timed
BATCH = 64
TOLERANCE = 1e-4


def load_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    body = data[8 + n:]
    dtypes = {"F32": torch.float32, "F64": torch.float64}
    tensors = []  # in file order, which is the parameter order of the network
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        tensor = torch.frombuffer(bytearray(body[begin:end]), dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
        tensors.append((name, tensor))
    return tensors, metadata


class Mlp(nn.Module):
    def __init__(self, sizes, activations):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))
        self.activations = activations

    def forward(self, x):  # the output layer's softmax is left to the loss (fused) or to infer()
        for layer, f in zip(self.layers, self.activations):
            x = layer(x)
            if f == "tanh":
                x = torch.tanh(x)
            elif f == "relu":
                x = torch.relu(x)
        return x


# label: (module factory, input shape of one sample, loss: "mse" = ½Σ(d − x)² on the activations, "ce" = softmax + cross-entropy)
NETWORKS = {
    "2-8-1": (lambda: Mlp([2, 8, 1], ["tanh", "tanh"]), (2,), "mse"),
    "8-8-8": (lambda: Mlp([8, 8, 8], ["tanh", "tanh"]), (8,), "mse"),
    "784-128-10": (lambda: Mlp([784, 128, 10], ["relu", "softmax"]), (784,), "ce"),
    "784-256-128-10": (lambda: Mlp([784, 256, 128, 10], ["relu", "relu", "softmax"]), (784,), "ce"),
    "LeNet-5": (LeNet5, (1, 28, 28), "ce"),
}


def load_into(model, tensors):
    """Copies the file's tensors into the module's parameters in order, checking each shape."""
    parameters = list(model.parameters())
    if len(parameters) != len(tensors):
        raise SystemExit("%d tensors in the file, %d parameters in the module" % (len(tensors), len(parameters)))
    with torch.no_grad():
        for p, (name, t) in zip(parameters, tensors):
            if tuple(p.shape) != tuple(t.shape):
                raise SystemExit("%s: shape %s in the file, %s in the module" % (name, tuple(t.shape), tuple(p.shape)))
            p.copy_(t)


def make_loss(kind):
    if kind == "mse":
        return lambda y, target: 0.5 * (y - target).pow(2).sum()
    # the target is one-hot in .NET; here its class indices, with the loss summed over the batch as .NET accumulates
    return lambda y, labels: F.cross_entropy(y, labels, reduction="sum")


def infer(model, kind, x):
    y = model(x)
    return torch.softmax(y, 1) if kind == "ce" else y


def check(label, model, kind, loss_fn, reference, grads):
    """The batch-1 output, loss and gradients for the .NET input, against the .NET ones."""
    shape = NETWORKS[label][1]
    x = torch.tensor(reference["input"], dtype=torch.float32).reshape((1,) + shape)
    d = torch.tensor(reference["target"], dtype=torch.float32).reshape(1, -1)
    with torch.no_grad():
        out = infer(model, kind, x).flatten()
    expected = torch.tensor(reference["output"], dtype=torch.float32)
    out_error = (out - expected).abs().max().item()
    if out_error > TOLERANCE:
        raise SystemExit("%s: PyTorch's batch-1 output differs from .NET's by %.3g (> %g)" % (label, out_error, TOLERANCE))
    model.zero_grad(set_to_none=False)
    loss = loss_fn(model(x), d if kind == "mse" else d.argmax(1))
    loss.backward()
    loss_error = abs(loss.item() - reference["loss"])
    grad_error = 0.0
    for p, (name, g) in zip(model.parameters(), grads):
        mine = p.grad
        if p.dim() == 4:  # a connection table's absent kernels: zero weights, whose gradients .NET does not compute
            mine = mine * (p.detach().abs().sum((2, 3), keepdim=True) != 0)
        grad_error = max(grad_error, ((mine - g).abs() / g.abs().clamp(min=1)).max().item())
    model.zero_grad(set_to_none=False)
    if loss_error > TOLERANCE * max(1, abs(reference["loss"])) or grad_error > 1e-3:
        raise SystemExit("%s: loss differs by %.3g, gradients by %.3g (relative)" % (label, loss_error, grad_error))
    return out_error, loss_error, grad_error


def measure(fn, min_run_time):
    for _ in range(20):  # warm-up
        fn()
    timer = benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=1)
    m = timer.blocked_autorange(min_run_time=min_run_time)
    return m.median * 1e9, m.iqr * 1e9, len(m.times) * m.number_per_run


def bench_network(directory, stem, label, min_run_time):
    factory, shape, kind = NETWORKS[label]
    tensors, metadata = load_safetensors(os.path.join(directory, stem + ".safetensors"))
    grads, _ = load_safetensors(os.path.join(directory, stem + ".grad.safetensors"))
    reference = json.load(open(os.path.join(directory, stem + ".json")))
    if metadata.get("network", label) != label:
        raise SystemExit("%s.safetensors holds %s, not %s" % (stem, metadata.get("network"), label))
    model = factory()
    load_into(model, tensors)
    loss_fn = make_loss(kind)
    errors = check(label, model, kind, loss_fn, reference, grads)

    generator = torch.Generator().manual_seed(1)
    x1 = torch.rand((1,) + shape, generator=generator)
    x64 = torch.rand((BATCH,) + shape, generator=generator)
    outputs = len(reference["target"])
    if kind == "mse":
        d1 = torch.rand(1, outputs, generator=generator) * 2 - 1
        d64 = torch.rand(BATCH, outputs, generator=generator) * 2 - 1
    else:
        d1 = torch.zeros(1, dtype=torch.long)
        d64 = torch.randint(0, outputs, (BATCH,), generator=generator)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    def forward1():
        with torch.no_grad():
            return infer(model, kind, x1)

    def forward64():
        with torch.no_grad():
            return infer(model, kind, x64)

    def train(x, d):
        def step():
            optimizer.zero_grad(set_to_none=False)
            loss = loss_fn(model(x), d)
            loss.backward()
            optimizer.step()
            return loss
        return step

    results = {"network": label, "parameters": sum(p.numel() for p in model.parameters()),
               "check": {"output_max_abs_error": errors[0], "loss_abs_error": errors[1], "gradient_max_rel_error": errors[2]}}
    for key, fn in (("forward_b1", forward1), ("train_step_b1", train(x1, d1)),
                    ("train_step_b64", train(x64, d64)), ("inference_b64", forward64)):
        median, iqr, runs = measure(fn, min_run_time)
        results[key] = {"median_ns": median, "iqr_ns": iqr, "runs": runs}
    return results


def blas_library():
    """The BLAS library torch loaded (Debian's python3-torch uses whatever libblas.so.3 the alternatives system selects)."""
    try:
        for line in open("/proc/self/maps"):
            path = line.split()[-1]
            if "libblas" in path or "openblas" in path or "libmkl" in path or "blis" in path:
                return os.path.realpath(path)
    except OSError:
        pass
    return "unknown"


def fmt(ns):
    return "%.2f µs" % (ns / 1e3) if ns < 1e6 else "%.3f ms" % (ns / 1e6)


def main():
    args = sys.argv[1:]
    quick = "--quick" in args
    only = None
    if "--only" in args:
        only = args[args.index("--only") + 1]
    positional = [a for i, a in enumerate(args) if not a.startswith("--") and (i == 0 or args[i - 1] != "--only")]
    directory = positional[0] if positional else "BenchmarkDotNet.Artifacts/torch"
    manifest_path = os.path.join(directory, "networks.json")
    if not os.path.exists(manifest_path):
        raise SystemExit("%s not found: export first (dotnet run -c Release --project bench/NetCompiler.Benchmarks -- "
                         "--export-weights %s)" % (manifest_path, directory))
    manifest = json.load(open(manifest_path))
    min_run_time = 0.2 if quick else 1.0
    blas = blas_library()
    reference_blas = "/blas/libblas.so" in blas  # the alternatives entry of netlib's reference BLAS
    if reference_blas:
        print("Note: torch uses the reference BLAS (%s): its matrix products, hence its batch-64 figures, are far slower "
              "than with OpenBLAS or MKL (apt-get install libopenblas0-pthread switches libblas.so.3)." % blas, flush=True)

    rows = []
    for entry in manifest:
        if entry["network"] not in NETWORKS:
            raise SystemExit("unknown network %s in %s" % (entry["network"], manifest_path))
        if only and entry["network"] != only:
            continue
        r = bench_network(directory, entry["stem"], entry["network"], min_run_time)
        print("%-15s checked (output within %.1e, gradients within %.1e relative); forward %s, train step %s, "
              "minibatch-64 step %s, batch-64 inference %s" % (
                  r["network"], r["check"]["output_max_abs_error"], r["check"]["gradient_max_rel_error"],
                  fmt(r["forward_b1"]["median_ns"]), fmt(r["train_step_b1"]["median_ns"]),
                  fmt(r["train_step_b64"]["median_ns"]), fmt(r["inference_b64"]["median_ns"])), flush=True)
        rows.append(r)

    info = {"torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
            "processor": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(), "mkldnn": torch.backends.mkldnn.is_available(),
            "blas": blas, "reference_blas": reference_blas, "openblas_core": OPENBLAS_CORE,
            "min_run_time_s": min_run_time, "batch": BATCH, "learning_rate": LEARNING_RATE,
            "statistic": "median of torch.utils.benchmark.Timer.blocked_autorange blocks, after 20 warm-up calls"}
    lines = ["PyTorch %s, %d thread (interop %d), %s, BLAS %s%s%s; median of torch.utils.benchmark blocks (min_run_time %.1f s)."
             % (torch.__version__, info["threads"], info["interop_threads"], platform.machine(), blas,
                " (the reference BLAS: slow matrix products)" if reference_blas else "",
                ", OpenBLAS kernels " + OPENBLAS_CORE if "openblas" in blas else "", min_run_time), "",
             "| network | parameters (PyTorch) | forward, batch 1 | train step, batch 1 | train step, minibatch 64 | inference, batch 64 | inference, per sample in batch 64 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append("| %s | %d | %s | %s | %s | %s | %s |" % (
            r["network"], r["parameters"], fmt(r["forward_b1"]["median_ns"]), fmt(r["train_step_b1"]["median_ns"]),
            fmt(r["train_step_b64"]["median_ns"]), fmt(r["inference_b64"]["median_ns"]),
            fmt(r["inference_b64"]["median_ns"] / BATCH)))
    table = "\n".join(lines) + "\n"
    print()
    print(table)
    with open(os.path.join(directory, "torch-results.md"), "w") as f:
        f.write(table)
    with open(os.path.join(directory, "torch-results.json"), "w") as f:
        json.dump({"info": info, "results": rows}, f, indent=2)
    print("Wrote %s and %s" % (os.path.join(directory, "torch-results.md"), os.path.join(directory, "torch-results.json")))


if __name__ == "__main__":
    main()
