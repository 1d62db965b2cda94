#!/usr/bin/env python3
"""First calls and steady state of generated Forward, per build of an app (issue 13).

Publishes bench/NetCompiler.Startup once per build (JIT with and without AggressiveOptimization on the generated
methods, ReadyToRun, NativeAOT at .NET's default instruction set and at NetCompiler's), runs each network in a fresh
process RUNS times per build, interleaving builds so that a noisy minute hits all of them, and prints markdown tables:
median over the runs, with the range. Standard library only.

    python3 bench/startup.py [--runs 7] [--out DIR]
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile

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


def cell(values, digits):
    median = statistics.median(values)
    return f"{median:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per build and network")
    parser.add_argument("--out", default=None, help="where to publish the builds (default: a temporary folder)")
    options = parser.parse_args()
    out = options.out or tempfile.mkdtemp(prefix="netcompiler-startup-")

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
