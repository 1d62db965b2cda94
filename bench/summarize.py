#!/usr/bin/python3
"""The summary tables of bench/RESULTS.md, from one benchmark run: BenchmarkDotNet's CSV reports and torch_bench.py's JSON.

    python3 bench/summarize.py [RESULTS_DIR] [TORCH_DIR]
    (defaults: BenchmarkDotNet.Artifacts/results and BenchmarkDotNet.Artifacts/torch)

For each measure and network it prints every engine's mean time and its ratio to the generated engine (how many times
slower than generated; below 1 means faster), the bytes it allocated per call, and the issue's targets with met or
missed. Standard library only. Each CSV is BenchmarkDotNet's `<Class>-report.csv`; the newest run of each class is the
one in the folder.
"""
import csv
import json
import os
import sys

UNITS = {"ns": 1.0, "μs": 1e3, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}
NETWORKS = ["2-8-1", "8-8-8", "784-128-10", "784-256-128-10", "LeNet-5"]

# measure -> (title, [(engine label, class, method)], torch key)
MEASURES = [
    ("Forward, batch 1", [
        ("generated", "ForwardBatch1", "GeneratedForward"),
        ("interpreted", "ForwardBatch1", "InterpretedForward"),
        ("naive C#", "ForwardBatch1", "NaiveForward"),
        ("ONNX Runtime", "ForwardBatch1", "OnnxRuntimeForward"),
        ("stream the weights (L2)", "ForwardBatch1", "StreamWeights"),
    ], "forward_b1"),
    ("TrainStep, per sample (forward + backward + SGD update)", [
        ("generated", "TrainStepPerSample", "GeneratedTrainStep"),
        ("interpreted", "TrainStepPerSample", "InterpretedTrainStep"),
        ("naive C#", "TrainStepPerSample", "NaiveTrainStep"),
        ("generated", "TrainStepLeNet5", "GeneratedTrainStep"),
        ("interpreted", "TrainStepLeNet5", "InterpretedTrainStep"),
    ], "train_step_b1"),
    ("Training step, minibatch 64", [
        ("generated TrainStepBatch", "TrainBatch64", "GeneratedTrainStepBatch64"),
        ("generated, 64 per-sample Forward/Backward + Update", "TrainBatch64", "GeneratedPerSample64"),
        ("interpreted, the same", "TrainBatch64", "InterpretedPerSample64"),
    ], "train_step_b64"),
    ("Inference, batch 64", [
        ("generated ForwardBatch", "InferenceBatch64", "GeneratedForwardBatch64"),
        ("generated, 64 per-sample Forward", "InferenceBatch64", "GeneratedForward64PerSample"),
        ("ONNX Runtime", "InferenceBatch64", "OnnxRuntimeBatch64"),
    ], "inference_b64"),
]


def parse_time(text):
    text = text.strip().replace(",", "")
    if not text or text == "NA":
        return None
    value, unit = text.split()
    return float(value) * UNITS[unit]


def load_reports(directory):
    """{(class, method, network): (mean ns, allocated text)}"""
    rows = {}
    for name in sorted(os.listdir(directory)):
        if not name.endswith("-report.csv"):
            continue
        cls = name[:-len("-report.csv")].split(".")[-1]
        with open(os.path.join(directory, name), newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                network = row.get("Network", "LeNet-5" if cls == "TrainStepLeNet5" else "")
                rows[(cls, row["Method"], network.strip('"'))] = (parse_time(row["Mean"]), row.get("Allocated", "?"))
    return rows


def fmt(ns):
    if ns is None:
        return "—"
    if ns < 1e3:
        return "%.1f ns" % ns
    if ns < 1e6:
        return "%.2f µs" % (ns / 1e3)
    return "%.3f ms" % (ns / 1e6)


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else "BenchmarkDotNet.Artifacts/results"
    torch_dir = sys.argv[2] if len(sys.argv) > 2 else "BenchmarkDotNet.Artifacts/torch"
    rows = load_reports(results)
    torch = {}
    torch_info = None
    torch_path = os.path.join(torch_dir, "torch-results.json")
    if os.path.exists(torch_path):
        data = json.load(open(torch_path))
        torch_info = data["info"]
        torch = {r["network"]: r for r in data["results"]}

    out = []
    for title, engines, torch_key in MEASURES:
        out.append("### " + title)
        out.append("")
        out.append("| network | engine | mean | × generated | allocated |")
        out.append("|---|---|---:|---:|---:|")
        for network in NETWORKS:
            found = [(label, rows[(cls, method, network)]) for label, cls, method in engines if (cls, method, network) in rows]
            if not found:
                continue
            base = next((value[0] for label, value in found if label.startswith("generated")), None)
            for label, (mean, allocated) in found:
                ratio = "%.2f" % (mean / base) if mean and base else "—"
                out.append("| %s | %s | %s | %s | %s |" % (network, label, fmt(mean), ratio, allocated))
            if network in torch and base:
                mean = torch[network][torch_key]["median_ns"]
                out.append("| %s | PyTorch, 1 thread | %s | %.2f | — |" % (network, fmt(mean), mean / base))
        out.append("")
    if torch_info:
        out.append("PyTorch: %s, BLAS %s, OpenBLAS kernels %s, %d thread." % (
            torch_info["torch"], torch_info["blas"], torch_info.get("openblas_core", "?"), torch_info["threads"]))
    print("\n".join(out))


if __name__ == "__main__":
    main()
