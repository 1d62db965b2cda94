using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace NetCompiler.Samples.Fashion;

/// <summary>The two networks the app trains.</summary>
public enum ModelKind
{
    /// <summary>LeNet-5 (C3 connection table, trainable subsampling, tanh, softmax and cross-entropy).</summary>
    LeNet,

    /// <summary>A 784-256-128-10 ReLU MLP with softmax and cross-entropy.</summary>
    Mlp,

    /// <summary>A small CNN: two 3×3 ReLU convolutions (32 and 64 maps) with 2×2 max pooling, softmax and cross-entropy.</summary>
    Cnn,
}

/// <summary>The optimizers the app offers.</summary>
public enum OptimizerKind
{
    /// <summary>SGD with momentum 0.9.</summary>
    Sgd,

    /// <summary>Adam (β1 0.9, β2 0.999).</summary>
    Adam,
}

/// <summary>Which implementation of the network runs.</summary>
public enum EngineKind
{
    /// <summary>The class the source generator wrote.</summary>
    Generated,

    /// <summary>InterpretedNetwork{T} on the same topology.</summary>
    Interpreted,
}

/// <summary>A command line the app cannot run: the message says which flag and why (exit code 2).</summary>
public sealed class UsageException : Exception
{
    /// <summary>Creates the exception with the message shown to the user.</summary>
    public UsageException(string message) : base(message) { }
}

/// <summary>
/// The app's settings, parsed from its command line. Unset values (null) take the per-model defaults in
/// <see cref="Defaults"/>, which were chosen by measuring on this 2-core machine (see the README).
/// </summary>
public sealed class AppOptions
{
    /// <summary>
    /// Parses --augment: "none", or "flip", "shiftN" (N pixels, 1–8) or both joined by a comma, e.g. "flip,shift2".
    /// </summary>
    public static NetCompiler.Training.ImageAugmentation ParseAugmentation(string value)
    {
        string text = value.ToLowerInvariant();
        if (text == "none") return new NetCompiler.Training.ImageAugmentation();
        bool flip = false;
        int shift = 0;
        foreach (string part in text.Split(','))
        {
            if (part == "flip" && !flip) flip = true;
            else if (part.StartsWith("shift", StringComparison.Ordinal) && shift == 0 &&
                     int.TryParse(part.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 8)
                shift = n;
            else
                throw new UsageException($"--augment must be none, flip, shiftN (N from 1 to 8) or flip,shiftN, not '{value}'");
        }
        return new NetCompiler.Training.ImageAugmentation { HorizontalFlip = flip, MaxShift = shift };
    }

    /// <summary>The help text printed by --help.</summary>
    public const string Usage =
        """
        Trains a generated network on Fashion-MNIST and writes its weights, learning curves and first-layer filters.

        Usage: dotnet run -c Release --project samples/FashionMnist -- [options]

          --model lenet|mlp|cnn        LeNet-5 (default), a 784-256-128-10 ReLU MLP, or a small ReLU CNN with max pooling
          --epochs N                   passes over the 60,000 training images (default: lenet 15, mlp 12, cnn 20; 1 with --compare)
          --batch N                    minibatch size (default 32)
          --optimizer sgd|adam         SGD with momentum 0.9 (default), or Adam
          --lr X                       initial learning rate (default: sgd 0.05, cnn 0.02; adam 0.002), cosine-decayed per step to 2%
          --weight-decay X             L2 weight decay λ, added to the gradient as λ·θ (default: cnn 0.0005, others 0)
          --augment SPEC               random changes to the training images each epoch: none, flip (mirror half of
                                       them), shiftN (move by up to N pixels), or flip,shiftN (default: cnn flip;
                                       lenet and mlp none)
          --workers N                  data-parallel worker threads (default: the processor count)
          --seed N                     seed of the initial weights and of the shuffling (default 1)
          --engine generated|interpreted
                                       the generated class (default) or InterpretedNetwork<T> on the same topology
          --compare                    train the model with both engines from the same seed and compare them
          --out DIR                    where the weights and plots go (default: out/ under the current directory)
          --data DIR                   the folder with the four Fashion-MNIST idx files (default: the repository's
                                       data/fashion-mnist, then /usr/share/datasets/fashion-mnist)
          -h, --help                   show this help

        Exit codes: 0 done, 1 training diverged or the data could not be read, 2 bad command line.
        """;

    /// <summary>The network to train.</summary>
    public ModelKind Model { get; set; } = ModelKind.LeNet;

    /// <summary>Epochs, or null for the model's default.</summary>
    public int? Epochs { get; set; }

    /// <summary>Minibatch size, or null for the default.</summary>
    public int? Batch { get; set; }

    /// <summary>The optimizer.</summary>
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Sgd;

    /// <summary>Initial learning rate, or null for the optimizer's default.</summary>
    public double? LearningRate { get; set; }

    /// <summary>Worker threads, or null for the processor count.</summary>
    public int? Workers { get; set; }

    /// <summary>Seed of the initialization and the shuffling.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>The engine.</summary>
    public EngineKind Engine { get; set; } = EngineKind.Generated;

    /// <summary>Train with both engines and compare.</summary>
    public bool Compare { get; set; }

    /// <summary>The output folder.</summary>
    public string OutputDirectory { get; set; } = Path.Combine(Environment.CurrentDirectory, "out");

    /// <summary>The data folder, or null to search for it.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>--help was given.</summary>
    public bool Help { get; set; }

    /// <summary>Lower-case model name used in file names: "lenet", "mlp" or "cnn".</summary>
    public string ModelName => Model switch { ModelKind.LeNet => "lenet", ModelKind.Mlp => "mlp", _ => "cnn" };

    /// <summary>The epochs this run trains for.</summary>
    public int EffectiveEpochs => Epochs ?? (Compare ? 1 : Model switch { ModelKind.LeNet => Defaults.LeNetEpochs, ModelKind.Mlp => Defaults.MlpEpochs, _ => Defaults.CnnEpochs });

    /// <summary>The minibatch size this run uses.</summary>
    public int EffectiveBatch => Batch ?? Defaults.Batch;

    /// <summary>The initial learning rate this run uses.</summary>
    public double EffectiveLearningRate => LearningRate ?? (Optimizer == OptimizerKind.Adam ? Defaults.AdamLearningRate
        : Model == ModelKind.Cnn ? Defaults.CnnSgdLearningRate : Defaults.SgdLearningRate);

    /// <summary>--weight-decay as given, or null for the model's default (see <see cref="EffectiveWeightDecay"/>).</summary>
    public double? WeightDecay { get; set; }

    /// <summary>The L2 weight decay λ this run uses (added to the gradient as λ·θ).</summary>
    public double EffectiveWeightDecay => WeightDecay ?? Model switch
    {
        ModelKind.Cnn => Defaults.CnnWeightDecay,
        ModelKind.LeNet when Optimizer == OptimizerKind.Sgd => Defaults.LeNetWeightDecay,
        _ => 0,
    };

    /// <summary>--augment as given (null: the model's default, see <see cref="EffectiveAugmentation"/>); "none" is one that changes nothing.</summary>
    public NetCompiler.Training.ImageAugmentation? Augmentation { get; set; }

    /// <summary>The augmentation this run trains with, or null for none.</summary>
    public NetCompiler.Training.ImageAugmentation? EffectiveAugmentation =>
        (Augmentation ?? (Model == ModelKind.Cnn ? Defaults.CnnAugmentation : null)) is { } a && (a.HorizontalFlip || a.MaxShift > 0) ? a : null;

    /// <summary>The worker threads this run uses.</summary>
    public int EffectiveWorkers => Workers ?? Environment.ProcessorCount;

    /// <summary>The defaults, measured on the 2-core development machine.</summary>
    public static class Defaults
    {
        /// <summary>LeNet-5 epochs.</summary>
        public const int LeNetEpochs = 15;

        /// <summary>MLP epochs.</summary>
        public const int MlpEpochs = 12;

        /// <summary>CNN epochs.</summary>
        public const int CnnEpochs = 20;

        /// <summary>SGD's initial learning rate for the CNN (0.05 made its ReLU layers overfit sooner: 91.38% against 91.64% at 0.02).</summary>
        public const double CnnSgdLearningRate = 0.02;

        /// <summary>
        /// LeNet-5's L2 weight decay with SGD: seeds 1–3 reached 91.09%, 90.98% and 90.94% with it, 90.40%, 91.01% and
        /// 90.57% without (2026-12-07, bench/RESULTS.md, "g_w in lanes").
        /// </summary>
        public const double LeNetWeightDecay = 5e-4;

        /// <summary>The CNN's L2 weight decay.</summary>
        public const double CnnWeightDecay = 5e-4;

        /// <summary>The CNN's augmentation: mirror half the images (shifts of 2 pixels cost it 0.5% in 15 epochs).</summary>
        public static NetCompiler.Training.ImageAugmentation CnnAugmentation => new() { HorizontalFlip = true };

        /// <summary>Minibatch size.</summary>
        public const int Batch = 32;

        /// <summary>Adam's initial learning rate.</summary>
        public const double AdamLearningRate = 0.002;

        /// <summary>SGD's initial learning rate (for the mean gradient of a minibatch).</summary>
        public const double SgdLearningRate = 0.05;
    }

    /// <summary>Parses a command line; throws <see cref="UsageException"/> naming the flag for anything it cannot use.</summary>
    public static AppOptions Parse(IReadOnlyList<string> args)
    {
        var options = new AppOptions();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string flag = arg;
            string? inline = null;
            int equals = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 2)
            {
                flag = arg.Substring(0, equals);
                inline = arg.Substring(equals + 1);
            }
            if (!flag.StartsWith('-'))
                throw new UsageException($"unexpected argument '{arg}' (options start with --; see --help)");
            if (flag is "-h" or "--help" or "-?")
            {
                options.Help = true;
                continue;
            }
            if (!seen.Add(flag))
                throw new UsageException($"{flag} is given twice");

            string Value()
            {
                if (inline is not null)
                {
                    if (inline.Length == 0) throw new UsageException($"{flag} needs a value");
                    return inline;
                }
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new UsageException($"{flag} needs a value");
                return args[++i];
            }

            switch (flag)
            {
                case "--model":
                    options.Model = Value().ToLowerInvariant() switch
                    {
                        "lenet" or "lenet5" or "lenet-5" => ModelKind.LeNet,
                        "mlp" => ModelKind.Mlp,
                        "cnn" => ModelKind.Cnn,
                        var v => throw new UsageException($"--model must be lenet, mlp or cnn, not '{v}'"),
                    };
                    break;
                case "--epochs":
                    options.Epochs = PositiveInt(flag, Value(), 10_000);
                    break;
                case "--batch":
                    options.Batch = PositiveInt(flag, Value(), 60_000);
                    break;
                case "--optimizer":
                    options.Optimizer = Value().ToLowerInvariant() switch
                    {
                        "sgd" => OptimizerKind.Sgd,
                        "adam" => OptimizerKind.Adam,
                        var v => throw new UsageException($"--optimizer must be sgd or adam, not '{v}'"),
                    };
                    break;
                case "--lr":
                {
                    string v = Value();
                    if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double lr) || !double.IsFinite(lr) || lr <= 0 || lr > 10)
                        throw new UsageException($"--lr must be a number in (0, 10], not '{v}'");
                    options.LearningRate = lr;
                    break;
                }
                case "--weight-decay":
                {
                    string v = Value();
                    if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double decay) || !double.IsFinite(decay) || decay < 0 || decay > 1)
                        throw new UsageException($"--weight-decay must be a number in [0, 1], not '{v}'");
                    options.WeightDecay = decay;
                    break;
                }
                case "--augment":
                    options.Augmentation = ParseAugmentation(Value());
                    break;
                case "--workers":
                    options.Workers = PositiveInt(flag, Value(), NetCompiler.Training.TrainingOptions.MaxWorkers);
                    break;
                case "--seed":
                {
                    string v = Value();
                    if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed))
                        throw new UsageException($"--seed must be an integer, not '{v}'");
                    options.Seed = seed;
                    break;
                }
                case "--engine":
                    options.Engine = Value().ToLowerInvariant() switch
                    {
                        "generated" => EngineKind.Generated,
                        "interpreted" => EngineKind.Interpreted,
                        var v => throw new UsageException($"--engine must be generated or interpreted, not '{v}'"),
                    };
                    break;
                case "--compare":
                    if (inline is not null) throw new UsageException("--compare takes no value");
                    options.Compare = true;
                    break;
                case "--out":
                    options.OutputDirectory = Path.GetFullPath(Value());
                    break;
                case "--data":
                    options.DataDirectory = Path.GetFullPath(Value());
                    break;
                default:
                    throw new UsageException($"unknown option '{flag}' (see --help)");
            }
        }
        if (options.Compare && seen.Contains("--engine"))
            throw new UsageException("--compare trains with both engines; leave out --engine");
        return options;
    }

    private static int PositiveInt(string flag, string value, int max)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 1 || n > max)
            throw new UsageException($"{flag} must be a whole number from 1 to {max:N0}, not '{value}'");
        return n;
    }
}
