#!/usr/bin/env bash
# The package as a user meets it (issue 13), from this checkout:
#  1. pack src/NetCompiler into a temporary folder feed (nothing needs to be built first) and check what it holds;
#  2. `dotnet new console` outside the repository, the README's install lines (a nuget.config with FEED and nuget.org,
#     `dotnet add package NetCompiler --prerelease`, restored into an empty package cache), the
#     README's example (the C# block after "package-test: program") as Program.cs and trained weights written by
#     reference.py; build with warnings as errors, run, and compare the scores with reference.py's own forward pass;
#  3. publish it with -p:PublishAot=true on the command line (warnings as errors, so no IL2xxx/IL3xxx trim or AOT
#     warning) and run the native binary; publish it trimmed (-p:PublishTrimmed=true) and run that;
#  4. the same app on the README's ProjectReference lines (the XML block after "package-test: project-references"),
#     with the repository beside it as ../NetCompiler: build, run, publish with -p:PublishAot=true, run;
#  5. the build diagnostics: NC0100 (no generator), NC0101 (an instruction set without AVX2), NC0102 (a bad option
#     value), and the instruction set chosen for a .NET 8 app (ILC 8 spells it x86-x64-v3; .NET 10's x86-64-v4, in
#     its project file or on the command line, is rewritten);
#  6. weights compiled in (README: "Weights compiled in"): the README's example with [Network(Weights =
#     "models/classifier.safetensors")] instead of SafeTensors.Load, the file an AdditionalFiles item, in an app on the
#     package; build with warnings as errors, run with no weights file beside it and compare the scores; publish it with
#     -p:PublishAot=true and run the native binary the same way; then files that do not fit fail the build with the
#     error for each: no AdditionalFiles item (NC0080), a tensor missing (NC0082), a tensor of another shape (NC0084);
#  7. from PyTorch (README: "From PyTorch to your app"): the README's project lines and program with
#     [Network(Onnx = "models/classifier.onnx")] on a model PyTorch exported (a committed fixture), from the package;
#     build, run, publish with -p:PublishAot=true, run, and compare the scores with PyTorch's own;
#  8. saving (issue 18): an app on the package that saves its weights twice beside a stale temporary and loads them
#     back; build, run, publish with -p:PublishAot=true (the directory fsync is a libc call), run.
# Prints one line per check, then "package test: N passed, N failed, N skipped". A check that cannot run here (no
# linker for NativeAOT, no AVX2 to run an x86-64-v3 binary) is skipped with its reason, never passed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
reference="$repo/tests/Package/reference.py"
work=$(mktemp -d "${TMPDIR:-/tmp}/netcompiler-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
start=$SECONDS
passed=0 failed=0 skipped=0
log="$work/step.log"

pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() { failed=$((failed + 1)); echo "FAIL  $1"; [ -f "$log" ] && sed 's/^/      | /' "$log" | tail -40; }
skip() { skipped=$((skipped + 1)); echo "SKIP  $1"; }
# step NAME COMMAND...: runs COMMAND with its output in $log; passes when it succeeds.
step() { local name=$1; shift; if "$@" >"$log" 2>&1; then pass "$name"; return 0; else fail "$name"; return 1; fi; }
# block MARKER: the fenced code block that follows the line "<!-- package-test: MARKER -->" in the README.
block() { awk -v marker="<!-- package-test: $1 -->" '$0 == marker { found = 1; next } found && /^```/ { if (inside) exit; inside = 1; next } inside { print }' "$repo/README.md"; }
# check_app NAME EXECUTABLE [REFERENCE-MODE ARGS...]: runs the app in its own folder and checks the scores it prints
# with reference.py (mode "check" unless another is given).
check_app() {
    local name=$1 executable=$2
    shift 2
    [ $# -eq 0 ] && set -- check
    if (cd "$(dirname "$executable")" && "$executable" >"$log" 2>&1) && python3 "$reference" "$@" $(tail -n 1 "$log") >>"$log" 2>&1; then
        pass "$name: $(tail -n 1 "$log")"
    else
        fail "$name"
    fi
}
# run_app NAME EXECUTABLE: ships the weights beside the app (it reads classifier.safetensors from its working folder),
# runs it there and checks its scores.
run_app() { cp "$work/classifier.safetensors" "$(dirname "$2")/"; check_app "$1" "$2"; }
# run_alone NAME EXECUTABLE PATTERN [REFERENCE-MODE ARGS...]: check_app for an app with its weights compiled in; no
# file matching PATTERN may be in its folder.
run_alone() {
    local files
    files=$(find "$(dirname "$2")" -maxdepth 1 -name "$3")
    if [ -n "$files" ]; then echo "$files" >"$log"; fail "$1: $files is in its folder"; else check_app "$1" "$2" "${@:4}"; fi
}
# run_embedded NAME EXECUTABLE: an app with the weights compiled in; there must be no weights file in its folder.
run_embedded() { run_alone "$1" "$2" '*.safetensors'; }
# build_fails NAME PATTERN: the app of step 6 (restored there) must fail to build with "Program.cs(l,c): error PATTERN",
# the diagnostic on its Weights argument.
build_fails() {
    if dotnet build "$embedded" -c Release --no-restore >"$log" 2>&1; then fail "$1: the build succeeded"
    elif grep -q "Program\.cs([0-9,]*): error $2" "$log"; then pass "$1: $(grep -m 1 -o "error $2.*" "$log" | sed 's/ \[[^]]*\]$//; s/ (https:[^)]*)$//')"
    else fail "$1: the build failed without $2"; fi
}

# aot_run LABEL PROJECT OUT EXECUTABLE CHECK: publishes PROJECT with -p:PublishAot=true (warnings as errors) into OUT,
# then runs CHECK "the native binary runs" OUT/EXECUTABLE; skipped, with the reason, without a linker or where the
# binary (x86-64-v3) cannot run.
aot_run() {
    local label=$1 project=$2 out=$3 executable=$4 check=$5
    if [ -n "$aot_reason" ]; then
        skip "NativeAOT publish ($label): $aot_reason"
    elif step "$label: dotnet publish -r $rid -p:PublishAot=true with warnings as errors" \
            dotnet publish "$project" -c Release -r "$rid" -p:PublishAot=true -warnaserror -o "$out"; then
        if [ "$avx2" = yes ] || [ "$rid" != linux-x64 ]; then "$check" "the native binary runs" "$out/$executable"
        else skip "the native binary is built for x86-64-v3, and this CPU has no AVX2"; fi
    fi
}

linker=""
for tool in clang gcc; do command -v "$tool" >/dev/null 2>&1 && { linker=$tool; break; }; done
avx2=no
grep -qw avx2 /proc/cpuinfo 2>/dev/null && avx2=yes
rid=linux-x64
[ "$(uname -m)" = "aarch64" ] && rid=linux-arm64
aot_reason=""
[ -z "$linker" ] && aot_reason="no clang or gcc on PATH to link the native binary (apt-get install clang)"

# 1. Pack from this checkout's sources only: a copy without bin/ and obj/, as a fresh clone has. The copy is also the
#    repository that step 4's project references point at.
tree="$work/NetCompiler"
mkdir -p "$tree" "$work/feed"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tree" 2>/dev/null)
python3 "$reference" weights "$work/classifier.safetensors"
if step "pack on a clean tree: dotnet pack src/NetCompiler/NetCompiler.csproj -c Release -o FEED" \
        dotnet pack "$tree/src/NetCompiler/NetCompiler.csproj" -c Release -o "$work/feed"; then
    package=$(ls "$work/feed"/NetCompiler.*.nupkg | grep -v '\.snupkg$' | head -n 1)
    version=$(basename "$package" .nupkg); version=${version#NetCompiler.}
    python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print("\n".join(z.namelist())); open(sys.argv[2], "wb").write(z.read("NetCompiler.nuspec"))' \
        "$package" "$work/nuspec" >"$work/contents"
    missing=""
    for entry in lib/net8.0/NetCompiler.dll lib/net10.0/NetCompiler.dll lib/net10.0/NetCompiler.xml \
                 analyzers/dotnet/cs/NetCompiler.Generator.dll analyzers/dotnet/cs/NetCompiler.CodeFixes.dll \
                 buildTransitive/NetCompiler.targets README.md; do
        grep -qx "$entry" "$work/contents" || missing="$missing $entry"
    done
    grep -q '<license type="expression">' "$work/nuspec" || missing="$missing licence-expression"
    grep -q '<readme>README.md</readme>' "$work/nuspec" || missing="$missing readme"
    grep -q '<dependency id="NetCompiler' "$work/nuspec" && missing="$missing (the generator must not be a dependency)"
    [ -f "$work/feed/NetCompiler.$version.snupkg" ] || missing="$missing symbols(.snupkg)"
    case "$version" in *-*) ;; *) missing="$missing prerelease-version($version)";; esac
    { echo "version $version"; cat "$work/contents"; } >"$log"
    if [ -z "$missing" ]; then pass "package $version holds the runtime, generator, code fixes, build logic, README, licence, symbols"
    else fail "package $version lacks:$missing"; fi
else
    echo "package test: $passed passed, $failed failed, $skipped skipped ($((SECONDS - start)) s)"
    exit 1
fi
# A package of the same version restored before would be used instead of this one.
cache=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
rm -rf "${cache%/}/netcompiler/$version"

# 2. A new console app with the package.
app="$work/App"
mkdir -p "$app"
step "dotnet new console" dotnet new console -o "$app" -n App
# The README's install lines (the block after "package-test: install"), FEED for ~/nuget-local, with an empty package
# cache: the package's own dependencies must restore too (from nuget.org, which the nuget.config keeps).
block install | sed "s#~/nuget-local#$work/feed#g" >"$work/install.sh"
step "the README's install lines (dotnet new nugetconfig, add source FEED, add package) with an empty package cache" \
    bash -c "cd '$app' && NUGET_PACKAGES='$work/empty-cache' bash -e '$work/install.sh'"
block program >"$app/Program.cs"
step "the README example builds with warnings as errors" dotnet build "$app" -c Release -warnaserror \
    && run_app "it runs" "$app/bin/Release/net10.0/App"

# 3. NativeAOT and trimming, the properties given on the command line.
if [ -n "$aot_reason" ]; then
    skip "NativeAOT publish of the package app: $aot_reason"
else
    if step "dotnet publish -r $rid -p:PublishAot=true with warnings as errors" \
            dotnet publish "$app" -c Release -r "$rid" -p:PublishAot=true -warnaserror -o "$work/app-aot"; then
        if [ "$rid" != linux-x64 ]; then
            run_app "the native binary runs" "$work/app-aot/App"
        else
            if grep -q "NetCompiler: NativeAOT compiles for IlcInstructionSet=x86-64-v3" "$log"; then pass "the publish says which instruction set it chose"
            else fail "the publish does not say which instruction set NetCompiler chose"; fi
            if [ "$avx2" = yes ]; then run_app "the native binary runs" "$work/app-aot/App"
            else skip "the native binary is built for x86-64-v3, and this CPU has no AVX2"; fi
        fi
    fi
fi
step "dotnet publish -r $rid -p:PublishTrimmed=true with warnings as errors" \
    dotnet publish "$app" -c Release -r "$rid" -p:PublishTrimmed=true -warnaserror -o "$work/app-trimmed" \
    && run_app "the trimmed app runs" "$work/app-trimmed/App"

# 4. The README's ProjectReference lines, with the repository (the copy of step 1) beside the app as ../NetCompiler.
contrib="$work/Contributor"
mkdir -p "$contrib"
{
    echo '<Project Sdk="Microsoft.NET.Sdk">'
    echo '  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>'
    block project-references | sed 's/^/  /'
    echo '</Project>'
} >"$contrib/Contributor.csproj"
cp "$app/Program.cs" "$contrib/"
step "the README's ProjectReference lines build with warnings as errors" dotnet build "$contrib" -c Release -warnaserror \
    && run_app "it runs" "$contrib/bin/Release/net10.0/Contributor"
aot_run "with project references" "$contrib" "$work/contrib-aot" Contributor run_app

# 5. Build diagnostics.
if dotnet build "$contrib" -c Release -p:NetCompilerAggressiveOptimization=sometimes >"$log" 2>&1; then
    fail "NC0102: NetCompilerAggressiveOptimization=sometimes was accepted"
elif grep -q "error NC0102" "$log"; then pass "NC0102: a value other than true or false is an error"
else fail "NC0102: the build failed without NC0102"; fi
if dotnet msbuild "$app" -t:_NetCompilerInstructionSet -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:IlcInstructionSet=x86-64-v2 >"$log" 2>&1 \
        && grep -q "warning NC0101" "$log"; then pass "NC0101: NativeAOT for x86-64-v2 (no AVX2) is a warning"
else fail "NC0101: no warning for IlcInstructionSet=x86-64-v2"; fi
if dotnet msbuild "$app" -t:_NetCompilerInstructionSet -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:IlcInstructionSet=x86-x64-v4 >"$log" 2>&1 \
        && grep -q "IlcInstructionSet=x86-x64-v4 is written x86-64-v4" "$log" && ! grep -q "warning NC0101" "$log"; then
    pass "a .NET 10 app's x86-x64-v4 (ILC 8's spelling) is written x86-64-v4"
else fail "a .NET 10 app's x86-x64-v4 is not rewritten"; fi
nogen="$work/NoGenerator"
mkdir -p "$nogen"
perl -0pe 's#\s*<ProjectReference Include="[^"]*NetCompiler\.Generator\.csproj"[^>]*/>##' "$contrib/Contributor.csproj" >"$nogen/NoGenerator.csproj"
cp "$app/Program.cs" "$nogen/"
if ! grep -q 'NetCompiler.CodeFixes.csproj' "$nogen/NoGenerator.csproj" || grep -q 'NetCompiler.Generator.csproj' "$nogen/NoGenerator.csproj"; then
    echo "the ProjectReference block has changed shape; cannot drop its generator line" >"$log"; fail "NC0100"
elif ! dotnet build "$nogen" -c Release >"$log" 2>&1 && grep -q "warning NC0100" "$log" && grep -q "error CS1061" "$log"; then
    pass "NC0100: the README's lines without the generator name the missing generator (next to CS1061)"
else fail "NC0100: no warning for a project without the generator"; fi
net8="$work/Net8"
mkdir -p "$net8"
cat >"$net8/Net8.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net8.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageReference Include="NetCompiler" Version="$version" /></ItemGroup>
</Project>
XML
if dotnet msbuild -restore "$net8" -t:_NetCompilerInstructionSet -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 >"$log" 2>&1 \
        && grep -q "IlcInstructionSet=x86-x64-v3" "$log"; then pass "a .NET 8 app gets ILC 8's spelling, x86-x64-v3"
else fail "a .NET 8 app does not get x86-x64-v3"; fi
sed "s#<TargetFramework>net8.0</TargetFramework>#<TargetFramework>net8.0</TargetFramework><IlcInstructionSet>x86-64-v4</IlcInstructionSet>#" "$net8/Net8.csproj" >"$net8/Net8Level.csproj"
if dotnet msbuild -restore "$net8/Net8Level.csproj" -t:_NetCompilerInstructionSet -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 >"$log" 2>&1         && grep -q "IlcInstructionSet=x86-64-v4 is written x86-x64-v4" "$log"; then pass "a .NET 8 app's x86-64-v4 in the project file is written x86-x64-v4"
else fail "a .NET 8 app's x86-64-v4 in the project file is not rewritten"; fi
rm "$net8/Net8Level.csproj"
if dotnet msbuild -restore "$net8" -t:_NetCompilerInstructionSet -p:PublishAot=true -p:RuntimeIdentifier=linux-x64 -p:IlcInstructionSet=x86-64-v4 >"$log" 2>&1 \
        && grep -q "IlcInstructionSet=x86-64-v4 is written x86-x64-v4" "$log"; then pass "a .NET 8 app's -p:IlcInstructionSet=x86-64-v4 is written x86-x64-v4"
else fail "a .NET 8 app's -p:IlcInstructionSet=x86-64-v4 is not rewritten"; fi

# 6. Weights compiled in: the README's example with its weights read at build time instead of by SafeTensors.Load, in
#    an app with App's project file (the package reference) and the weights file as an AdditionalFiles item.
embedded="$work/Embedded"
weights='models/classifier.safetensors'
mkdir -p "$embedded/models"
cp "$work/classifier.safetensors" "$embedded/$weights"
sed "s#^</Project>#  <ItemGroup>\n    <AdditionalFiles Include=\"$weights\" />\n  </ItemGroup>\n</Project>#" "$app/App.csproj" >"$embedded/Embedded.csproj"
block program | grep -v 'SafeTensors\.Load(' | sed "s#^\[Network,#[Network(Weights = \"$weights\"),#" >"$embedded/Program.cs"
if ! grep -q '^\[Network(Weights = ' "$embedded/Program.cs" || ! grep -q '<AdditionalFiles ' "$embedded/Embedded.csproj"; then
    { cat "$embedded/Embedded.csproj" "$embedded/Program.cs"; } >"$log"
    fail "compiled-in weights: the README example or App.csproj has changed shape (no '[Network,' line, or no '</Project>')"
else
    step "compiled-in weights: the README example with [Network(Weights = \"$weights\")] builds with warnings as errors" \
        dotnet build "$embedded" -c Release -warnaserror \
        && run_embedded "it runs with no weights file" "$embedded/bin/Release/net10.0/Embedded"
    aot_run "compiled-in weights" "$embedded" "$work/embedded-aot" Embedded run_embedded
    # Files that do not fit: each a build error on the Weights argument (no restore: the build above restored).
    cp "$embedded/Embedded.csproj" "$work/Embedded.csproj"
    grep -v '<AdditionalFiles ' "$work/Embedded.csproj" >"$embedded/Embedded.csproj"
    build_fails "NC0080: the weights file without its AdditionalFiles item" "NC0080"
    cp "$work/Embedded.csproj" "$embedded/Embedded.csproj"
    python3 "$reference" weights "$embedded/$weights" --shape layer1.weight 8,4
    build_fails "NC0084: a weights file with layer1.weight [8, 4], not [16, 4]" "NC0084.*layer1\.weight"
    python3 "$reference" weights "$embedded/$weights" --without layer2.bias
    build_fails "NC0082: a weights file without layer2.bias" "NC0082.*layer2\.bias"
fi

# 7. From PyTorch: the README's ONNX example (its project lines and program) on a LeNet-like CNN that PyTorch exported
#    (tools/make_onnx_fixtures.py's lenet_logits.onnx, committed: no PyTorch needed here), from the package; the
#    scores are checked against PyTorch's own outputs for the same input, recorded in the fixture's JSON.
fixture="$repo/tests/NetCompiler.Tests/Fixtures/onnx/lenet_logits"
onnx="$work/FromPyTorch"
mkdir -p "$onnx/models"
cp "$fixture.onnx" "$onnx/models/classifier.onnx"
{ sed '/^<\/Project>/d' "$app/App.csproj"; block onnx-project | sed 's/^/  /'; echo '</Project>'; } >"$onnx/FromPyTorch.csproj"
block onnx-program >"$onnx/Program.cs"
# check_onnx NAME EXECUTABLE: runs the app in its folder, with no model beside it, and checks its scores against PyTorch's.
check_onnx() { run_alone "$1" "$2" '*.onnx' check-fixture "$fixture.json"; }
if ! grep -q 'Onnx = ' "$onnx/Program.cs" || ! grep -q '<AdditionalFiles ' "$onnx/FromPyTorch.csproj"; then
    { cat "$onnx/FromPyTorch.csproj" "$onnx/Program.cs"; } >"$log"
    fail "from PyTorch: the README's onnx-project or onnx-program block is missing"
else
    step "from PyTorch: the README's ONNX example builds with warnings as errors" \
        dotnet build "$onnx" -c Release -warnaserror \
        && check_onnx "it runs" "$onnx/bin/Release/net10.0/FromPyTorch"
    aot_run "from PyTorch" "$onnx" "$work/onnx-aot" FromPyTorch check_onnx
fi

# 8. Saving from a NativeAOT app (issue 18): SafeTensors.Save renames its temporary over the target and fsyncs the
#    directory through libc, and removes a stale temporary a killed process left; the app saves twice beside such a
#    temporary, loads the file back and prints "saved" when θ came back bit for bit and only the target is left.
saver="$work/Saver"
mkdir -p "$saver"
cp "$app/App.csproj" "$saver/Saver.csproj"
cat >"$saver/Program.cs" <<'CS'
using System;
using System.IO;
using System.Linq;
using NetCompiler;
using NetCompiler.Serialization;

string folder = Path.Combine(AppContext.BaseDirectory, "saved");
Directory.CreateDirectory(folder);
string path = Path.Combine(folder, "tiny.safetensors");
File.WriteAllText(Path.Combine(folder, ".tiny.safetensors.0123456789ab.tmp"), "left by a killed save");
var network = new Tiny();
network.InitializeParameters(3);
SafeTensors.Save(path, network);
SafeTensors.Save(path, network);
var back = new Tiny();
SafeTensors.Load(path, back);
string[] left = Directory.GetFiles(folder).Select(Path.GetFileName).ToArray()!;
bool ok = network.Parameters.SequenceEqual(back.Parameters) && left.SequenceEqual(new[] { "tiny.safetensors" });
Console.WriteLine(ok ? "saved" : "not saved as expected: " + string.Join(", ", left));
return ok ? 0 : 1;

[Network, Input(2), Dense(8, Activation.Tanh), Dense(1), Loss(LossFunction.SquaredError)]
public partial class Tiny { }
CS
# check_saved NAME EXECUTABLE: runs the saver; it must exit 0 having printed "saved".
check_saved() {
    if "$2" >"$log" 2>&1 && [ "$(tail -n 1 "$log")" = saved ]; then pass "$1: saved twice, loaded back, the stale temporary removed"
    else fail "$1"; fi
}
step "saving: an app on the package that saves its weights builds with warnings as errors" \
    dotnet build "$saver" -c Release -warnaserror \
    && check_saved "it runs" "$saver/bin/Release/net10.0/Saver"
aot_run "saving" "$saver" "$work/saver-aot" Saver check_saved

echo "package test: $passed passed, $failed failed, $skipped skipped ($((SECONDS - start)) s)"
[ "$failed" -eq 0 ]
