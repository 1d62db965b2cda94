using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace NetCompiler.Data;

/// <summary>
/// Fashion-MNIST (Zalando, MIT licence; https://github.com/zalandoresearch/fashion-mnist): 60,000 training and
/// 10,000 test images of 28 × 28 pixels in 10 classes. The repository ships the four files in data/fashion-mnist
/// (see the README there); Debian's dataset-fashion-mnist package installs them in /usr/share/datasets/fashion-mnist.
/// </summary>
public static class FashionMnist
{
    /// <summary>The class names, indexed by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Array.AsReadOnly(new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    });

    /// <summary>The file name of the training images.</summary>
    public const string TrainingImagesFile = "train-images-idx3-ubyte.gz";

    /// <summary>The file name of the training labels.</summary>
    public const string TrainingLabelsFile = "train-labels-idx1-ubyte.gz";

    /// <summary>The file name of the test images.</summary>
    public const string TestImagesFile = "t10k-images-idx3-ubyte.gz";

    /// <summary>The file name of the test labels.</summary>
    public const string TestLabelsFile = "t10k-labels-idx1-ubyte.gz";

    /// <summary>Where Debian's dataset-fashion-mnist package puts the files.</summary>
    public const string SystemDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>
    /// The directory holding the Fashion-MNIST files: data/fashion-mnist in the application's directory or the
    /// nearest directory above it (so a build inside the repository finds the repository's copy), else the same
    /// above the current directory, else <see cref="SystemDirectory"/>. A directory counts when it holds the
    /// training images.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No such directory; the message lists every place searched.</exception>
    public static string FindDirectory()
    {
        var searched = new List<string>();
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "data", "fashion-mnist");
                if (searched.Contains(candidate)) break; // the rest of this walk was searched already
                searched.Add(candidate);
                if (File.Exists(Path.Combine(candidate, TrainingImagesFile))) return candidate;
            }
        }
        searched.Add(SystemDirectory);
        if (File.Exists(Path.Combine(SystemDirectory, TrainingImagesFile))) return SystemDirectory;
        throw new DirectoryNotFoundException(
            $"Fashion-MNIST not found: no {TrainingImagesFile} in any of " + string.Join(", ", searched.Select(s => "'" + s + "'")) +
            ". Pass the directory that holds the four files, or install Debian's dataset-fashion-mnist.");
    }

    /// <summary>The 60,000 training images from <paramref name="directory"/> (default: <see cref="FindDirectory"/>).</summary>
    public static LabeledImages LoadTraining(string? directory = null)
    {
        directory ??= FindDirectory();
        return LabeledImages.Load(Path.Combine(directory, TrainingImagesFile), Path.Combine(directory, TrainingLabelsFile), ClassNames.Count);
    }

    /// <summary>The 10,000 test images from <paramref name="directory"/> (default: <see cref="FindDirectory"/>).</summary>
    public static LabeledImages LoadTest(string? directory = null)
    {
        directory ??= FindDirectory();
        return LabeledImages.Load(Path.Combine(directory, TestImagesFile), Path.Combine(directory, TestLabelsFile), ClassNames.Count);
    }
}
