// Networks imported from PyTorch's ONNX files at build time ([Network(Onnx = …)], issue 16) against ONNX Runtime
// running the very same files: batch-1 Forward, one intra-op thread, preallocated inputs and outputs bound once. The
// files are the test fixtures that tools/make_onnx_fixtures.py exports with torch.onnx.export.
//   dotnet run -c Release --project bench/NetCompiler.Benchmarks -- --filter '*ImportedForward*'
using System;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;

namespace NetCompiler.Benchmarks;

/// <summary>PyTorch's LeNet-like CNN (Conv, ReLU, MaxPool, Pad + AveragePool, three Gemm), ending in logits.</summary>
[Network(Onnx = "../../tests/NetCompiler.Tests/Fixtures/onnx/lenet_logits.onnx")]
public partial class ImportedLeNet { }

/// <summary>PyTorch's MLP with BatchNorm1d (folded into the Gemm at import) and Dropout (gone in eval mode).</summary>
[Network(Onnx = "../../tests/NetCompiler.Tests/Fixtures/onnx/mlp_bn_dropout.onnx")]
public partial class ImportedMlp { }

/// <summary>PyTorch's small residual CNN: Add and Concat of convolutions.</summary>
[Network(Onnx = "../../tests/NetCompiler.Tests/Fixtures/onnx/residual_add_concat.onnx")]
public partial class ImportedResidual { }

/// <summary>Batch-1 Forward of the imported networks, generated against ONNX Runtime on the same file.</summary>
[MemoryDiagnoser]
public class ImportedForward
{
    [Params("lenet_logits", "mlp_bn_dropout", "residual_add_concat")]
    public string Model { get; set; } = "";

    private IInferenceNetwork<float> _network = null!;
    private InferenceSession _onnx = null!;
    private float[] _input = null!, _output = null!;
    private OrtValue _onnxInput = null!, _onnxOutput = null!;
    private OrtIoBinding _binding = null!;
    private RunOptions _runOptions = null!;

    [GlobalSetup]
    public void Setup()
    {
        _network = Model switch
        {
            "lenet_logits" => new ImportedLeNet(),
            "mlp_bn_dropout" => new ImportedMlp(),
            "residual_add_concat" => new ImportedResidual(),
            _ => throw new ArgumentException("unknown model " + Model),
        };
        string path = System.IO.Path.Combine(AppContext.BaseDirectory, "onnx", Model + ".onnx");
        using (var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        })
            _onnx = new InferenceSession(path, options);

        var random = new Random(1);
        _input = new float[_network.InputSize];
        for (int i = 0; i < _input.Length; i++) _input[i] = (float)random.NextDouble();
        _output = new float[_network.OutputSize];
        long[] shape = new long[] { 1 }.Concat(_network.Topology.InputShape.ToArray().Select(d => (long)d)).ToArray();
        _onnxInput = OrtValue.CreateTensorValueFromMemory(_input, shape);
        _onnxOutput = OrtValue.CreateTensorValueFromMemory(_output, new long[] { 1, _output.Length });
        _binding = _onnx.CreateIoBinding();
        _binding.BindInput(_onnx.InputMetadata.Keys.Single(), _onnxInput);
        _binding.BindOutput(_onnx.OutputMetadata.Keys.Single(), _onnxOutput);
        _runOptions = new RunOptions();

        // Both engines compute the same outputs from the same file, so neither can look fast by being wrong.
        var expected = new float[_output.Length];
        _network.Forward(_input, expected);
        OnnxRuntimeForward();
        Engines.Compare(Model, "ONNX Runtime on the imported file", expected, _output);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _binding.Dispose();
        _runOptions.Dispose();
        _onnxInput.Dispose();
        _onnxOutput.Dispose();
        _onnx.Dispose();
    }

    [Benchmark(Baseline = true)] public void GeneratedForward() => _network.Forward(_input, _output);
    [Benchmark] public void OnnxRuntimeForward() => _onnx.RunWithBinding(_runOptions, _binding);
}
