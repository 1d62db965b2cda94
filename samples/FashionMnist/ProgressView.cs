using System;
using System.Globalization;
using NetCompiler.Training;
using Spectre.Console;

namespace NetCompiler.Samples.Fashion;

/// <summary>
/// Shows training progress: a Spectre.Console progress bar with the running loss on an interactive console, one plain
/// line per finished epoch either way (so redirected output and logs read the same).
/// </summary>
internal sealed class ProgressView : IProgress<TrainingProgress>
{
    private readonly IAnsiConsole _console;
    private readonly string _label;
    private ProgressContext? _context;
    private ProgressTask? _task;
    private int _taskEpoch;

    public ProgressView(IAnsiConsole console, string label)
    {
        _console = console;
        _label = label;
    }

    /// <summary>Runs <paramref name="train"/> with a live progress bar when <paramref name="interactive"/>, else plainly.</summary>
    public T Run<T>(bool interactive, Func<T> train)
    {
        if (!interactive) return train();
        return _console.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                _context = context;
                try { return train(); }
                finally { _context = null; }
            });
    }

    public void Report(TrainingProgress value)
    {
        if (value.Phase == TrainingPhase.EpochCompleted && value.EpochResult is EpochResult epoch)
        {
            if (_task is not null)
            {
                _task.Value = _task.MaxValue;
                _task.StopTask();
                _task = null;
            }
            _console.WriteLine(FormatEpoch(_label, epoch, value.Epochs));
            return;
        }
        if (_context is null) return;
        if (_task is null || _taskEpoch != value.Epoch)
        {
            _task?.StopTask();
            _task = _context.AddTask(Escape($"{_label} epoch {value.Epoch}/{value.Epochs}"), maxValue: 1);
            _taskEpoch = value.Epoch;
        }
        _task.Value = Math.Clamp(value.Fraction, 0, 1);
        _task.Description = value.Phase == TrainingPhase.Evaluating
            ? Escape($"{_label} epoch {value.Epoch}/{value.Epochs}: evaluating the test set")
            : Escape(string.Create(CultureInfo.InvariantCulture,
                $"{_label} epoch {value.Epoch}/{value.Epochs}: loss {value.RunningLoss:F4}, {value.SamplesPerSecond:N0} samples/s"));
    }

    /// <summary>One epoch as a line: train loss, test loss and accuracy, time and throughput, learning rate.</summary>
    public static string FormatEpoch(string label, EpochResult epoch, int epochs)
    {
        int width = epochs.ToString(CultureInfo.InvariantCulture).Length;
        string test = epoch.Test is Evaluation t
            ? string.Create(CultureInfo.InvariantCulture, $"test loss {t.MeanLoss:F4}, accuracy {100 * t.Accuracy:F2}%")
            : "no test set";
        return string.Create(CultureInfo.InvariantCulture,
            $"{label}epoch {epoch.Epoch.ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{epochs}: train loss {epoch.TrainLoss:F4}, {test}, " +
            $"{epoch.Seconds:F1} s, {epoch.SamplesPerSecond:N0} samples/s, lr {epoch.LearningRate:G3}");
    }

    private static string Escape(string text) => Markup.Escape(text);
}
