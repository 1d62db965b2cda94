// What every emitter works from, built once per network: the model, the options, the validated topology, the plan,
// the element type and vector widths, and the emitters themselves, so that one layer kind's emitter can call another's
// (a convolution that is a dense layer, the loss after the last layer). Nothing here changes after construction.

namespace NetCompiler.Generator.Emit;

internal sealed class EmitContext
{
    public EmitContext(NetworkModel model, NetworkTopology topology, NetworkPlan plan, GeneratorOptions options, CompiledWeights? weights = null)
    {
        Model = model;
        CompiledWeights = weights;
        Options = options;
        Topology = topology;
        Plan = plan;
        Element = ElementType.Of(model.Precision);
        Narrow256 = new Width(new VectorWidth(Element, wide: false), BatchSamples, BatchRows, BatchRows, BatchColumns, BatchSamples, BatchColumns);
        Wide512 = new Width(new VectorWidth(Element, wide: true), WideSamples, WideRows, WideGradientRows, WideGradientColumns, WideSensitivitySamples, WideSensitivityColumns);
        Network = new NetworkEmitter(this);
        Chain = new ChainEmitter(this);
        Graph = new GraphEmitter(this);
        Dense = new DenseEmitter(this);
        RegisterChain = new RegisterChainEmitter(this);
        DenseBatch = new DenseBatchEmitter(this);
        FeatureMajor = new FeatureMajorEmitter(this);
        Output = new OutputEmitter(this);
        Conv = new ConvEmitter(this);
        Pool = new PoolEmitter(this);
        Join = new JoinEmitter(this);
    }

    public NetworkModel Model { get; }
    /// <summary>θ read from [Network(Weights = …)] at build time, or null: the network then starts from seed 0.</summary>
    public CompiledWeights? CompiledWeights { get; }
    public GeneratorOptions Options { get; }
    public NetworkTopology Topology { get; }
    public NetworkPlan Plan { get; }
    public ElementType Element { get; }

    /// <summary>Vector256: the per-sample kernels' width, and the batched kernels' on machines without AVX-512.</summary>
    public Width Narrow256 { get; }

    /// <summary>Vector512, used where <c>Vector512.IsHardwareAccelerated</c> (AVX-512, which always has FMA); tiles sized for its 32 registers.</summary>
    public Width Wide512 { get; }

    /// <summary>
    /// Whether the buffers start at <c>AlignedStart(array)</c>, 64-byte aligned, rather than at element 0: every buffer of a
    /// chain (θ, g, the activities, the sensitivities and the batch buffers); none of a graph's.
    /// </summary>
    public bool BuffersAligned => Plan.IsChain;

    public NetworkEmitter Network { get; }
    public ChainEmitter Chain { get; }
    public GraphEmitter Graph { get; }
    public DenseEmitter Dense { get; }
    public RegisterChainEmitter RegisterChain { get; }
    public DenseBatchEmitter DenseBatch { get; }
    public FeatureMajorEmitter FeatureMajor { get; }
    public OutputEmitter Output { get; }
    public ConvEmitter Conv { get; }
    public PoolEmitter Pool { get; }
    public JoinEmitter Join { get; }

    /// <summary>The emitter of a graph layer's kind.</summary>
    public ILayerEmitter For(LayerKind kind) => kind switch
    {
        LayerKind.Dense => Dense,
        LayerKind.Conv1D or LayerKind.Conv2D => Conv,
        LayerKind.AvgPool or LayerKind.MaxPool => Pool,
        _ => Join,
    };
}
