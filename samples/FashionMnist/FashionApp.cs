using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using NetCompiler.Data;
using NetCompiler.Serialization;
using NetCompiler.Training;
using Spectre.Console;

namespace NetCompiler.Samples.Fashion;

/// <summary>Where the app writes: standard output, standard error, and whether a live progress bar may be drawn.</summary>
/// <param name="Out">Results and progress lines.</param>
/// <param name="Error">Error messages.</param>
/// <param name="Interactive">Whether to draw a Spectre.Console progress bar (an interactive terminal).</param>
public sealed record AppConsole(TextWriter Out, TextWriter Error, bool Interactive)
{
    /// <summary>The process's console: interactive when standard output is a terminal that Spectre.Console can redraw.</summary>
    public static AppConsole System() => new(Console.Out, Console.Error,
        !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi);
}

/// <summary>The files one run wrote.</summary>
public sealed record AppOutputs(string Weights, string Curves, string Filters);

/// <summary>
/// The app's core, callable in-process: parses the command line, loads Fashion-MNIST, trains, reports and writes the
/// weights and plots. The --out folder is checked (created, written to) before the data are loaded, and the three files
/// are written all or none. Exit codes: 0 done, 1 training diverged (NaN, or an exploded or chance-level run: the
/// trainer's divergence guard) or the data or output could not be used, 2 bad command line.
/// </summary>
public static class FashionApp
{
    /// <summary>Exit code for a finished run.</summary>
    public const int Ok = 0;

    /// <summary>Exit code when training diverged or a file could not be read or written.</summary>
    public const int Failed = 1;

    /// <summary>Exit code for a command line the app cannot run.</summary>
    public const int BadUsage = 2;

    /// <summary>Runs the app; never throws for bad input (returns an exit code after printing a message).</summary>
    public static int Run(IReadOnlyList<string> args, AppConsole io) => Run(args, io, CreateFactory);

    /// <summary>Runs the app with the given network constructors (tests substitute networks here).</summary>
    internal static int Run(IReadOnlyList<string> args, AppConsole io, Func<ModelKind, EngineKind, Func<INetwork<float>>> factory)
    {
        AppOptions options;
        try
        {
            options = AppOptions.Parse(args);
            if (options.DataDirectory is string data && !Directory.Exists(data))
                throw new UsageException($"--data: no such folder '{data}'");
        }
        catch (UsageException e)
        {
            io.Error.WriteLine("error: " + e.Message);
            io.Error.WriteLine("Run with --help to see the options.");
            return BadUsage;
        }
        if (options.Help)
        {
            io.Out.WriteLine(AppOptions.Usage);
            return Ok;
        }

        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(io.Out),
            Ansi = io.Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = io.Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = io.Interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!io.Interactive) console.Profile.Width = 160;

        // --out before anything slow: a run must not train for minutes and then find it cannot save.
        OutputFolder? folder = null;
        if (!options.Compare)
        {
            try
            {
                AppOutputs files = Files(options);
                folder = OutputFolder.Prepare(options.OutputDirectory, [files.Weights, files.Curves, files.Filters]);
            }
            catch (OutputException e)
            {
                io.Error.WriteLine("error: " + e.Message);
                return Failed;
            }
        }

        ImageDataset<float> train, test;
        string dataDirectory;
        try
        {
            dataDirectory = options.DataDirectory ?? NetCompiler.Data.FashionMnist.FindDirectory();
            train = NetCompiler.Data.FashionMnist.LoadTraining(dataDirectory).AsDataset<float>();
            test = NetCompiler.Data.FashionMnist.LoadTest(dataDirectory).AsDataset<float>();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
        {
            io.Error.WriteLine("error: could not load Fashion-MNIST: " + e.Message);
            folder?.Abandon();
            return Failed;
        }

        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Fashion-MNIST from {dataDirectory}: {train.Count:N0} training and {test.Count:N0} test images of {train.Images.Height}×{train.Images.Width}, {train.Classes} classes"));

        try
        {
            return folder is null ? Compare(options, factory, console, io, train, test) : TrainAndSave(options, factory, console, io, train, test, folder);
        }
        catch (TrainingDivergedException e)
        {
            folder?.Abandon();
            io.Error.WriteLine("error: training diverged: " + e.Message);
            io.Error.WriteLine("Nothing was saved. Try a smaller --lr.");
            return Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutputException)
        {
            folder?.Abandon();
            io.Error.WriteLine("error: " + e.Message);
            return Failed;
        }
    }

    /// <summary>The three files a run writes to its --out folder.</summary>
    private static AppOutputs Files(AppOptions options) => new(
        Path.Combine(options.OutputDirectory, options.ModelName + ".safetensors"),
        Path.Combine(options.OutputDirectory, options.ModelName + "-curves.png"),
        Path.Combine(options.OutputDirectory, options.ModelName + "-filters.png"));

    /// <summary>Trains one model with one engine, prints the results and writes the three files (all or none).</summary>
    private static int TrainAndSave(AppOptions options, Func<ModelKind, EngineKind, Func<INetwork<float>>> factory, IAnsiConsole console, AppConsole io, ImageDataset<float> train, ImageDataset<float> test, OutputFolder folder)
    {
        console.WriteLine(Describe(options, options.Engine));
        var run = Train(options, factory, options.Engine, console, io, train, test, label: "");
        Evaluation final = run.Result.FinalTest ?? throw new InvalidOperationException("the trainer returned no test evaluation");

        console.WriteLine();
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Test accuracy {100 * final.Accuracy:F2}% ({final.Correct:N0}/{final.Count:N0}), test loss {final.MeanLoss:F4}; " +
            $"{run.Result.Epochs.Count} epochs in {run.Result.Seconds:F1} s, {MeanRate(run.Result):N0} training samples/s"));
        console.WriteLine();
        console.WriteLine("Confusion matrix (rows: actual class, columns: predicted class):");
        console.WriteLine(ConfusionMatrix(final));

        string name = options.ModelName;
        AppOutputs files = Files(options);
        var metadata = new Dictionary<string, string>
        {
            ["model"] = name,
            ["engine"] = options.Engine == EngineKind.Generated ? "generated" : "interpreted",
            ["accuracy"] = (final.Accuracy ?? double.NaN).ToString("R", CultureInfo.InvariantCulture),
            ["test_loss"] = final.MeanLoss.ToString("R", CultureInfo.InvariantCulture),
            ["epochs"] = run.Result.Epochs.Count.ToString(CultureInfo.InvariantCulture),
            ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["batch"] = options.EffectiveBatch.ToString(CultureInfo.InvariantCulture),
            ["optimizer"] = options.Optimizer == OptimizerKind.Adam ? "adam" : "sgd",
            ["learning_rate"] = options.EffectiveLearningRate.ToString("R", CultureInfo.InvariantCulture),
            ["dataset"] = "fashion-mnist",
            ["classes"] = string.Join(",", NetCompiler.Data.FashionMnist.ClassNames),
        };
        var points = new List<EpochPoint>();
        foreach (EpochResult epoch in run.Result.Epochs)
            points.Add(new EpochPoint(epoch.Epoch, epoch.TrainLoss, epoch.Test?.MeanLoss ?? double.NaN, epoch.Test?.Accuracy ?? double.NaN));
        ModelInfo model = ModelInfo.Of(options.Model);
        string curvesTitle = string.Create(CultureInfo.InvariantCulture, $"{model.Title} on Fashion-MNIST: test accuracy {100 * final.Accuracy:F2}%");
        folder.WriteAll(
        [
            (files.Weights, path => SafeTensors.Save(path, run.Network, metadata)),
            (files.Curves, path => Plots.SaveCurves(path, curvesTitle, points)),
            (files.Filters, path => Plots.SaveFilters(path, model.FiltersTitle, run.Network.Topology, run.Network.Parameters)),
        ]);

        console.WriteLine("Wrote:");
        console.WriteLine("  " + files.Weights + "  (weights, safetensors)");
        console.WriteLine("  " + files.Curves + "  (loss and accuracy per epoch)");
        console.WriteLine("  " + files.Filters + "  (first-layer filters)");
        return Ok;
    }

    /// <summary>Trains the same model from the same seed with both engines and compares accuracy, loss and speed.</summary>
    private static int Compare(AppOptions options, Func<ModelKind, EngineKind, Func<INetwork<float>>> factory, IAnsiConsole console, AppConsole io, ImageDataset<float> train, ImageDataset<float> test)
    {
        console.WriteLine(Describe(options, null) + "; comparing the engines from the same seed");
        var generated = Train(options, factory, EngineKind.Generated, console, io, train, test, label: "generated   ");
        var interpreted = Train(options, factory, EngineKind.Interpreted, console, io, train, test, label: "interpreted ");

        double maxAccuracy = 0, maxLoss = 0, maxTrainLoss = 0;
        int epochs = Math.Min(generated.Result.Epochs.Count, interpreted.Result.Epochs.Count);
        for (int e = 0; e < epochs; e++)
        {
            EpochResult g = generated.Result.Epochs[e], i = interpreted.Result.Epochs[e];
            maxTrainLoss = Math.Max(maxTrainLoss, Math.Abs(g.TrainLoss - i.TrainLoss));
            if (g.Test is Evaluation gt && i.Test is Evaluation it)
            {
                maxAccuracy = Math.Max(maxAccuracy, Math.Abs((gt.Accuracy ?? 0) - (it.Accuracy ?? 0)));
                maxLoss = Math.Max(maxLoss, Math.Abs(gt.MeanLoss - it.MeanLoss));
            }
        }
        double generatedRate = MeanRate(generated.Result), interpretedRate = MeanRate(interpreted.Result);

        console.WriteLine();
        var table = new Table().AddColumns("engine", "test accuracy", "test loss", "train loss", "training samples/s", "seconds");
        foreach (var (name, run, rate) in new[] { ("generated", generated, generatedRate), ("interpreted", interpreted, interpretedRate) })
        {
            Evaluation? t = run.Result.FinalTest;
            table.AddRow(name,
                t is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{100 * t.Accuracy:F2}%"),
                t is null ? "-" : t.MeanLoss.ToString("F6", CultureInfo.InvariantCulture),
                (run.Result.Last?.TrainLoss ?? double.NaN).ToString("F6", CultureInfo.InvariantCulture),
                rate.ToString("N0", CultureInfo.InvariantCulture),
                run.Result.Seconds.ToString("F1", CultureInfo.InvariantCulture));
        }
        if (io.Interactive) console.Write(table);
        else
            foreach (var (name, run, rate) in new[] { ("generated  ", generated, generatedRate), ("interpreted", interpreted, interpretedRate) })
                console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name}: test accuracy {100 * run.Result.FinalTest?.Accuracy:F2}%, test loss {run.Result.FinalTest?.MeanLoss:F6}, train loss {run.Result.Last?.TrainLoss:F6}, {rate:N0} samples/s, {run.Result.Seconds:F1} s"));
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Max difference over {epochs} epoch{(epochs == 1 ? "" : "s")}: test accuracy {maxAccuracy * 100:F2} percentage points, test loss {maxLoss:G3}, train loss {maxTrainLoss:G3}"));
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Speed: the generated code trains {generatedRate / interpretedRate:F1}× as fast as the interpreter ({generatedRate:N0} vs {interpretedRate:N0} samples/s)"));
        console.WriteLine("(--compare writes no files)");
        return Ok;
    }

    private sealed record TrainedModel(INetwork<float> Network, TrainingResult Result);

    private static TrainedModel Train(AppOptions options, Func<ModelKind, EngineKind, Func<INetwork<float>>> factory, EngineKind engine, IAnsiConsole console, AppConsole io, ImageDataset<float> train, ImageDataset<float> test, string label)
    {
        Func<INetwork<float>> create = factory(options.Model, engine);
        int seed = options.Seed;
        // The network starts from the seed; the trainer's other workers are workspaces on its weights.
        Func<INetwork<float>> initialized = () =>
        {
            INetwork<float> network = create();
            network.InitializeParameters(seed);
            return network;
        };
        int parameters = ModelInfo.Of(options.Model).Topology.ParameterCount;
        IOptimizer<float> optimizer = options.Optimizer == OptimizerKind.Adam
            ? new Adam<float>(parameters, options.EffectiveLearningRate, weightDecay: options.EffectiveWeightDecay)
            : new SgdMomentum<float>(parameters, options.EffectiveLearningRate, momentum: 0.9, weightDecay: options.EffectiveWeightDecay);
        var trainingOptions = new TrainingOptions
        {
            Epochs = options.EffectiveEpochs,
            BatchSize = options.EffectiveBatch,
            Seed = options.Seed,
            Workers = options.EffectiveWorkers,
            LearningRateSchedule = LearningRateSchedule.Cosine(minimum: 0.02, perStep: true),
            ProgressInterval = 20,
            Augmentation = options.EffectiveAugmentation,
        };
        var trainer = new Trainer<float>(initialized, optimizer, trainingOptions);
        var view = new ProgressView(console, label);
        TrainingResult result = view.Run(io.Interactive, () => trainer.Train(train, test, view));
        return new TrainedModel(trainer.Network, result);
    }

    /// <summary>The constructor of the model for the engine.</summary>
    public static Func<INetwork<float>> CreateFactory(ModelKind model, EngineKind engine)
    {
        ModelInfo info = ModelInfo.Of(model);
        return engine switch
        {
            EngineKind.Generated => info.Generated,
            EngineKind.Interpreted => () => new InterpretedNetwork<float>(info.Topology),
            _ => throw new ArgumentOutOfRangeException(nameof(engine)),
        };
    }

    /// <summary>What the app needs to know of each model: its title, topology, generated class and filter plot's title.</summary>
    private sealed record ModelInfo(string Title, NetworkTopology Topology, Func<INetwork<float>> Generated, string FiltersTitle)
    {
        public static ModelInfo Of(ModelKind model) => model switch
        {
            ModelKind.LeNet => new("LeNet-5", LeNet5.Topology, () => new LeNet5(), "LeNet-5: the 6 C1 kernels (5×5) after training"),
            ModelKind.Mlp => new("MLP 784-256-128-10", Mlp.Topology, () => new Mlp(), "MLP: first-layer weights of the first 64 units (28×28)"),
            ModelKind.Cnn => new("CNN 32c3-pool-64c3-pool-24-10", Cnn.Topology, () => new Cnn(), "CNN: the 32 conv1 kernels (3×3) after training"),
            _ => throw new ArgumentOutOfRangeException(nameof(model)),
        };
    }

    private static string Describe(AppOptions options, EngineKind? engine)
    {
        NetworkTopology topology = ModelInfo.Of(options.Model).Topology;
        string model = ModelInfo.Of(options.Model).Title;
        string engineText = engine switch
        {
            EngineKind.Generated => ", generated code",
            EngineKind.Interpreted => ", InterpretedNetwork<float>",
            _ => "",
        };
        return string.Create(CultureInfo.InvariantCulture,
            $"{model}{engineText}: {topology.ParameterCount:N0} parameters; {options.EffectiveEpochs} epoch{(options.EffectiveEpochs == 1 ? "" : "s")}, batch {options.EffectiveBatch}, " +
            $"{(options.Optimizer == OptimizerKind.Adam ? "Adam" : "SGD with momentum 0.9")} at lr {options.EffectiveLearningRate:G3} with cosine decay, " +
            $"{options.EffectiveWorkers} worker{(options.EffectiveWorkers == 1 ? "" : "s")}, seed {options.Seed}") +
            (options.EffectiveWeightDecay > 0 ? string.Create(CultureInfo.InvariantCulture, $", weight decay {options.EffectiveWeightDecay:G3}") : "") +
            (options.EffectiveAugmentation is { } augmentation ? ", augmentation " + augmentation : "");
    }

    private static double MeanRate(TrainingResult result)
    {
        double seconds = 0;
        long samples = 0;
        foreach (EpochResult epoch in result.Epochs)
        {
            seconds += epoch.Seconds;
            samples += epoch.Samples;
        }
        return seconds > 0 ? samples / seconds : double.NaN;
    }

    private static string ConfusionMatrix(Evaluation evaluation)
    {
        IReadOnlyList<string> names = NetCompiler.Data.FashionMnist.ClassNames;
        var labels = new List<string>();
        for (int c = 0; c < names.Count; c++) labels.Add(c.ToString(CultureInfo.InvariantCulture) + " " + names[c]);
        string matrix = evaluation.FormatConfusionMatrix(labels);
        var text = new System.Text.StringBuilder(matrix);
        IReadOnlyList<double>? perClass = evaluation.PerClassAccuracy;
        if (perClass is not null)
        {
            text.AppendLine("Accuracy per class:");
            for (int c = 0; c < perClass.Count; c++)
                text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  {c} {(c < names.Count ? names[c] : "").PadRight(12)} {100 * perClass[c],5:F1}%"));
        }
        return text.ToString().TrimEnd();
    }
}
