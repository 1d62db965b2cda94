#!/usr/bin/env python3
"""First calls and steady state of generated Forward, per build of an app (issue 13).

Publishes bench/NetCompiler.Startup once per build (JIT with and without AggressiveOptimization on the generated
methods, ReadyToRun, NativeAOT at .NET's default instruction set and at NetCompiler's), runs each network in a fresh
process RUNS times per build, interleaving builds so that a noisy minute hits all of them, and prints markdown tables:
median over the runs, with the range. Standard library only.

With --weights it measures instead what an app pays to get its trained network (issue 15): samples/Embedded's LeNet-5
with its weights compiled in against the same network read from its safetensors file at run time, in the JIT
(default) and NativeAOT builds: Main to the end of the first Forward, and the whole process (start to exit).

    python3 bench/startup.py [--runs 7] [--out DIR] [--weights]
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROJECT = os.path.join(ROOT, "bench", "NetCompiler.Startup", "NetCompiler.Startup.csproj")
NETWORKS = ["2-8-1", "784-128-10", "LeNet-5"]
RID = {"x86_64": "linux-x64", "aarch64": "linux-arm64"}.get(platform.machine(), "linux-x64")


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def builds():
    """(name, publish arguments). The first is the baseline of the ratio columns."""
    tiered = ["-p:NetCompilerAggressiveOptimization=false"]
    r2r = ["-r", RID, "--self-contained", "false", "-p:PublishReadyToRun=true"]
    aot = ["-r", RID, "-p:PublishAot=true"]
    result = [
        ("JIT, tiered (AggressiveOptimization off)", tiered),
        ("JIT (default: AggressiveOptimization)", []),
        ("ReadyToRun, tiered", r2r + tiered),
        ("ReadyToRun", r2r),
        ("NativeAOT, x86-64-v2 (.NET's default)", aot + ["-p:IlcInstructionSet=x86-64-v2"]),
        ("NativeAOT, x86-64-v3 (NetCompiler's default)", aot),
    ]
    if "avx512f" in cpu_flags():
        result.append(("NativeAOT, x86-64-v4", aot + ["-p:IlcInstructionSet=x86-64-v4"]))
    return result


def publish(name, args, out):
    print(f"publishing: {name}", file=sys.stderr, flush=True)
    command = ["dotnet", "publish", PROJECT, "-c", "Release", "-o", out, "-nologo", "-v", "quiet"] + args
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"publish failed ({' '.join(command)}):\n{done.stdout}\n{done.stderr}")
    return os.path.join(out, "NetCompiler.Startup")


def run(executable, network):
    done = subprocess.run([executable, network], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        sys.exit(f"{executable} {network} failed:\n{done.stdout}\n{done.stderr}")
    fields = done.stdout.split()
    return float(fields[1]), float(fields[2]), float(fields[3]), fields[4], fields[5]


def weights_table(executables, runs):
    """Compiled-in weights against SafeTensors.Load, per build: fresh processes, modes and builds interleaved."""
    modes = [("compiled in (`new EmbeddedLeNet5()`)", "weights-embedded"),
             ("read at run time (`SafeTensors.Load`, then `new EmbeddedLeNet5(weights)`)", "weights-file")]
    results = {(name, mode): ([], []) for name, _ in executables for _, mode in modes}
    for r in range(runs):
        print(f"round {r + 1} of {runs}", file=sys.stderr, flush=True)
        for name, executable in executables:
            for _, mode in modes:
                start = time.perf_counter()
                done = subprocess.run([executable, mode], capture_output=True, text=True, timeout=120)
                wall = (time.perf_counter() - start) * 1e3
                if done.returncode != 0:
                    sys.exit(f"{executable} {mode} failed:\n{done.stdout}\n{done.stderr}")
                results[(name, mode)][0].append(float(done.stdout.split()[1]) / 1e3)
                results[(name, mode)][1].append(wall)
    print(f"{runs} fresh processes per cell: median (min–max), in ms. samples/Embedded's LeNet-5 (60,850 weights, "
          "a 248,696-byte file).\n")
    print("| build | weights | Main → end of first Forward | process start → exit |")
    print("|---|---|---|---|")
    for name, _ in executables:
        for label, mode in modes:
            main, wall = results[(name, mode)]
            print(f"| {name} | {label} | {cell(main, 1)} | {cell(wall, 1)} |")


def cell(values, digits):
    median = statistics.median(values)
    return f"{median:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per build and network")
    parser.add_argument("--out", default=None, help="where to publish the builds (default: a temporary folder)")
    parser.add_argument("--weights", action="store_true", help="compiled-in weights against SafeTensors.Load instead")
    options = parser.parse_args()
    out = options.out or tempfile.mkdtemp(prefix="netcompiler-startup-")

    if options.weights:
        chosen = [b for b in builds() if b[0].startswith(("JIT (default", "NativeAOT, x86-64-v3"))]
        executables = [(name, publish(name, args, os.path.join(out, f"weights{i}"))) for i, (name, args) in enumerate(chosen)]
        weights_table(executables, options.runs)
        return

    executables = [(name, publish(name, args, os.path.join(out, str(i)))) for i, (name, args) in enumerate(builds())]
    results = {(name, network): [] for name, _ in executables for network in NETWORKS}
    accelerated = {}
    for r in range(options.runs):
        print(f"round {r + 1} of {options.runs}", file=sys.stderr, flush=True)
        for network in NETWORKS:
            for name, executable in executables:
                first, calls, steady, v256, v512 = run(executable, network)
                results[(name, network)].append((first, calls, steady))
                accelerated[name] = (v256, v512)

    print(f"{options.runs} fresh processes per cell: median (min–max). Times in µs. "
          "'2–100 / steady' is the mean of calls 2–100 over the steady state, within each run, median over runs.\n")
    for network in NETWORKS:
        baseline = statistics.median(x[2] for x in results[(executables[1][0], network)])
        print(f"**{network}**\n")
        print("| build | Vector256 / Vector512 accelerated | first call | calls 2–100 | steady state | 2–100 / steady | steady / JIT default |")
        print("|---|---|---|---|---|---|---|")
        for name, _ in executables:
            rows = results[(name, network)]
            first = [x[0] for x in rows]
            calls = [x[1] for x in rows]
            steady = [x[2] for x in rows]
            ratio = [x[1] / x[2] for x in rows]
            v256, v512 = accelerated[name]
            print(f"| {name} | {v256} / {v512} | {cell(first, 0 if min(first) >= 100 else 1)} | {cell(calls, 2)} | {cell(steady, 3)} | "
                  f"{cell(ratio, 2)} | {statistics.median(steady) / baseline:.2f} |")
        print()


if __name__ == "__main__":
    main()
