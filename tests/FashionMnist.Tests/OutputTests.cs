using System;
using System.IO;
using NetCompiler.Samples.Fashion;
using Xunit;
using Xunit.Abstractions;

namespace NetCompiler.Samples.Fashion.Tests;

/// <summary>--out is checked before the data are loaded, and the three files are written all or none.</summary>
public sealed class OutputTests(ITestOutputHelper log) : IDisposable
{
    private static readonly string Subset = Path.Combine(AppContext.BaseDirectory, "fashion-mnist-subset");
    private readonly string _root = Directory.CreateTempSubdirectory("fashion-app-out-").FullName;

    public void Dispose()
    {
        if (!OperatingSystem.IsWindows())
            foreach (string dir in Directory.GetDirectories(_root, "*", SearchOption.AllDirectories))
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(_root, recursive: true);
    }

    private static (int Code, string Out, string Error) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = FashionApp.Run(args, new AppConsole(stdout, stderr, Interactive: false));
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static void AssertFailedBeforeLoading((int Code, string Out, string Error) run, params string[] inError)
    {
        Assert.True(run.Code == 1, $"exit code {run.Code}\n{run.Out}\n{run.Error}");
        foreach (string text in inError) Assert.Contains(text, run.Error);
        Assert.DoesNotContain("Fashion-MNIST from", run.Out); // nothing loaded, nothing trained
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public void OutNamingAnExistingFileFailsBeforeLoading()
    {
        string file = Path.Combine(_root, "taken");
        File.WriteAllText(file, "keep me");
        AssertFailedBeforeLoading(Run("--model", "mlp", "--epochs", "1", "--data", Subset, "--out", file),
            $"error: --out: '{file}' is a file, not a folder.");
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void OutThatCannotBeWrittenFailsBeforeLoading()
    {
        string locked = Path.Combine(_root, "locked");
        Directory.CreateDirectory(locked);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserExecute); // 0500
        string target = Path.Combine(locked, "out");
        if (CanCreateIn(locked))
        {
            // Root (as CI runs) ignores the mode (and Windows has none): a folder that cannot be created stands in, under a file.
            log.WriteLine("NOTE: running with privileges that ignore chmod 0500 (root?): the unwritable-folder case is tested with a path under a file instead.");
            Console.WriteLine("NOTE: OutputTests: chmod 0500 does not stop this user writing (root?); testing --out under a file instead.");
            string file = Path.Combine(_root, "plain-file");
            File.WriteAllText(file, "");
            target = Path.Combine(file, "out");
            AssertFailedBeforeLoading(Run("--model", "mlp", "--data", Subset, "--out", target),
                $"error: --out: cannot create the folder '{target}': '{file}' is a file.");
            return;
        }
        AssertFailedBeforeLoading(Run("--model", "mlp", "--data", Subset, "--out", target), $"error: --out: cannot write to the folder '{target}'");
        Assert.False(Directory.Exists(target));
    }

    [Fact]
    public void AFolderInThePlaceOfAnOutputFileFailsAndLeavesNoWeights()
    {
        string outDir = Path.Combine(_root, "out");
        string curves = Path.Combine(outDir, "mlp-curves.png");
        Directory.CreateDirectory(curves);
        var run = Run("--model", "mlp", "--epochs", "1", "--data", Subset, "--out", outDir);
        Assert.True(run.Code == 1, $"exit code {run.Code}\n{run.Out}\n{run.Error}");
        Assert.Contains($"error: cannot write '{curves}': a folder of that name is in the way. Nothing was saved.", run.Error);
        Assert.False(File.Exists(Path.Combine(outDir, "mlp.safetensors")), "the weights were written");
        Assert.False(File.Exists(Path.Combine(outDir, "mlp-filters.png")), "the filters were written");
        Assert.Equal([curves], Directory.GetFileSystemEntries(outDir));
    }

    private static bool CanCreateIn(string folder)
    {
        try
        {
            string probe = Path.Combine(folder, "probe");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
