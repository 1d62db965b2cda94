using Microsoft.CodeAnalysis;

namespace NetCompiler.Generator.Diagnostics;

/// <summary>
/// Every diagnostic NetCompiler reports, with its ID as a constant (for code fixes, suppressions and tests). The
/// analyzer (<see cref="NetworkAnalyzer"/>) reports all of them but <see cref="GeneratorFailure"/> and the NC008x
/// diagnostics of a compiled-in weights file, which the generator reports (it is the one that reads the file). Each is documented, with a wrong and a fixed example, in docs/diagnostics.md under its ID; new
/// ones go into AnalyzerReleases.Unshipped.md too.
/// </summary>
/// <remarks>
/// ID ranges: NC0001–NC0009 the shape of the [Network] class; NC0010–NC0029 its attributes and topology;
/// NC0030–NC0039 names that collide with generated members; NC0040–NC0049 size and cost; NC0050–NC0059 the graph
/// (names, From, Output); NC0060–NC0069 shapes; NC0070–NC0079 convolution and pooling arguments; NC0080–NC0089 compiled-in weights ([Network(Weights = …)]); NC0900 the
/// generator itself. The topology diagnostics from NC0029 on carry the message of the runtime's own
/// <see cref="NetworkTopology.Check"/>, so that build time and run time say the same thing.
/// </remarks>
public static class DiagnosticDescriptors
{
    public const string NotPartialId = "NC0001";
    public const string ContainingTypeNotPartialId = "NC0002";
    public const string GenericId = "NC0003";
    public const string NestedInGenericId = "NC0004";
    public const string StaticId = "NC0005";
    public const string UnsupportedTypeKindId = "NC0006";

    public const string MissingInputId = "NC0010";
    public const string InputSizeNotPositiveId = "NC0011";
    public const string NoLayersId = "NC0012";
    public const string UnitsNotPositiveId = "NC0013";
    public const string UndefinedEnumValueId = "NC0014";
    public const string SoftmaxNotOnOutputId = "NC0015";
    public const string CrossEntropyWithoutSoftmaxId = "NC0016";
    public const string SoftmaxWithSquaredErrorId = "NC0017";
    public const string InferenceOnlyId = "NC0018";
    public const string AttributesSplitId = "NC0019";
    public const string AttributeWithoutNetworkId = "NC0020";
    public const string InvalidTopologyId = "NC0029";

    public const string MemberCollisionId = "NC0030";
    public const string InheritedMemberCollisionId = "NC0031";
    public const string ClassNameCollisionId = "NC0032";
    public const string ConstructorCollisionId = "NC0033";
    public const string ConstructorWithoutWeightsId = "NC0034";

    public const string TooManyParametersId = "NC0040";
    public const string LargeNetworkId = "NC0041";
    public const string NetworkCostId = "NC0042";
    public const string LayerTooLargeId = "NC0043";

    public const string UnknownSourceId = "NC0050";
    public const string DuplicateNameId = "NC0051";
    public const string ReservedNameId = "NC0052";
    public const string DuplicateSourceId = "NC0053";
    public const string CycleId = "NC0054";
    public const string UnusedLayerId = "NC0055";
    public const string UnknownOutputId = "NC0056";
    public const string WrongSourceCountId = "NC0057";

    public const string InputShapeUnsupportedId = "NC0060";
    public const string WrongSourceRankId = "NC0061";
    public const string AddShapeMismatchId = "NC0062";
    public const string ConcatShapeMismatchId = "NC0063";
    public const string KernelTooLargeId = "NC0064";
    public const string StrideDoesNotTileId = "NC0065";
    public const string ImplicitFlattenId = "NC0066";

    public const string KernelNotPositiveId = "NC0070";
    public const string StrideNotPositiveId = "NC0071";
    public const string PaddingNegativeId = "NC0072";
    public const string PoolSizeNotPositiveId = "NC0073";
    public const string ConnectionTableShapeId = "NC0074";
    public const string ConnectionTableEntryId = "NC0075";
    public const string ConnectionTableEmptyFilterId = "NC0076";

    public const string WeightsNotAdditionalFileId = "NC0080";
    public const string WeightsUnreadableId = "NC0081";
    public const string WeightsMissingTensorId = "NC0082";
    public const string WeightsUnexpectedTensorId = "NC0083";
    public const string WeightsWrongShapeId = "NC0084";
    public const string WeightsUnsupportedDTypeId = "NC0085";
    public const string WeightsNonZeroAbsentKernelId = "NC0086";
    public const string WeightsTooLargeId = "NC0087";

    public const string OnnxNotAdditionalFileId = "NC0090";
    public const string OnnxInvalidId = "NC0091";
    public const string OnnxUnsupportedOperatorId = "NC0092";
    public const string OnnxUnsupportedAttributeId = "NC0093";
    public const string OnnxDynamicDimensionId = "NC0094";
    public const string OnnxUnsupportedOpsetId = "NC0095";
    public const string OnnxUnrepresentableId = "NC0096";
    public const string OnnxWithDeclaredLayersId = "NC0097";
    public const string OnnxTooLargeId = "NC0098";

    public const string GeneratorFailureId = "NC0900";

    /// <summary>
    /// Help links go to the anchors of docs/diagnostics.md in the repository (there is no other website); the page
    /// says so at its top. One constant, so that a move of the docs is one edit.
    /// </summary>
    public const string HelpLinkBase = "https://github.com/NetCompiler/NetCompiler/blob/main/docs/diagnostics.md#";

    private const string Usage = "NetCompiler.Usage";
    private const string Topology = "NetCompiler.Topology";
    private const string Naming = "NetCompiler.Naming";
    private const string Performance = "NetCompiler.Performance";
    private const string Generator = "NetCompiler.Generator";

    public static readonly DiagnosticDescriptor NotPartial = new(NotPartialId,
        "A [Network] class must be partial",
        "Class '{0}' must be declared partial so that NetCompiler can generate the rest of it",
        Usage, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0001");

    public static readonly DiagnosticDescriptor ContainingTypeNotPartial = new(ContainingTypeNotPartialId,
        "A type containing a [Network] class must be partial",
        "Network class '{0}' is nested in '{1}', which must be declared partial too",
        Usage, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0002");

    public static readonly DiagnosticDescriptor Generic = new(GenericId,
        "A [Network] class cannot be generic",
        "Network class '{0}' has {1} type parameter(s); a network class cannot be generic",
        Usage, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0003");

    public static readonly DiagnosticDescriptor NestedInGeneric = new(NestedInGenericId,
        "A [Network] class cannot be nested in a generic type",
        "Network class '{0}' is nested in generic type '{1}'; declare it outside",
        Usage, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0004");

    public static readonly DiagnosticDescriptor Static = new(StaticId,
        "A [Network] class cannot be static",
        "Network class '{0}' is static; a network holds its parameters in instance fields",
        Usage, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0005");

    public static readonly DiagnosticDescriptor UnsupportedTypeKind = new(UnsupportedTypeKindId,
        "A [Network] type must be a plain class",
        "Network '{0}' is {1}; declare it as a plain partial class",
        Usage, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0006");

    public static readonly DiagnosticDescriptor MissingInput = new(MissingInputId,
        "A network needs [Input]",
        "Network '{0}' has no [Input(size)]; declare the size of its input",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0010");

    public static readonly DiagnosticDescriptor InputSizeNotPositive = new(InputSizeNotPositiveId,
        "The input size must be positive",
        "The input size of network '{0}' must be positive, but it is {1}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0011");

    public static readonly DiagnosticDescriptor NoLayers = new(NoLayersId,
        "A network needs at least one [Dense] layer",
        "Network '{0}' has no layers; declare at least one [Dense] layer",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0012");

    public static readonly DiagnosticDescriptor UnitsNotPositive = new(UnitsNotPositiveId,
        "A layer needs at least one unit",
        "{0} has {1} {2}; it needs at least 1",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0013");

    public static readonly DiagnosticDescriptor UndefinedEnumValue = new(UndefinedEnumValueId,
        "Enum value is not defined",
        "{0} value {1} is not defined; use one of {2}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0014");

    public static readonly DiagnosticDescriptor SoftmaxNotOnOutput = new(SoftmaxNotOnOutputId,
        "Softmax is only supported on the output layer",
        "{0} uses Softmax, which is only supported on the output layer ({1})",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0015");

    public static readonly DiagnosticDescriptor CrossEntropyWithoutSoftmax = new(CrossEntropyWithoutSoftmaxId,
        "CrossEntropy needs a Softmax output layer",
        "CrossEntropy needs a Softmax output layer, but the output layer ({0}) uses {1}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0016");

    public static readonly DiagnosticDescriptor SoftmaxWithSquaredError = new(SoftmaxWithSquaredErrorId,
        "Softmax output trained with SquaredError",
        "The output layer ({0}) uses Softmax with SquaredError; Softmax pairs with CrossEntropy, and squared error through a softmax learns slowly",
        Topology, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0017");

    public static readonly DiagnosticDescriptor InferenceOnly = new(InferenceOnlyId,
        "Network without [Loss] is inference-only",
        "Network '{0}' has no [Loss], so it is inference-only: no Backward, Update or TrainStep is generated",
        Topology, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0018");

    public static readonly DiagnosticDescriptor AttributesSplit = new(AttributesSplitId,
        "A network's attributes must be on one declaration",
        "[{0}] of network '{1}' is on a different partial declaration than [Network]; put all of a network's attributes on one declaration, since the order of layers across declarations is not defined",
        Usage, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0019");

    public static readonly DiagnosticDescriptor AttributeWithoutNetwork = new(AttributeWithoutNetworkId,
        "Network attribute on a class without [Network]",
        "[{0}] on '{1}' is ignored because the class has no [Network] attribute",
        Usage, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0020");

    public static readonly DiagnosticDescriptor InvalidTopology = new(InvalidTopologyId,
        "Invalid network topology",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0029",
        description: "A rule of the runtime's topology check that no more specific diagnostic covers; the message is the runtime's.");

    public static readonly DiagnosticDescriptor MemberCollision = new(MemberCollisionId,
        "Member collides with a generated member",
        "Member '{0}' of network '{1}' has the name of a member NetCompiler generates; rename it",
        Naming, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0030");

    public static readonly DiagnosticDescriptor InheritedMemberCollision = new(InheritedMemberCollisionId,
        "Generated member would hide an inherited member",
        "Network '{0}' inherits {1} from '{2}', which the generated members would hide; rename them or derive from another type",
        Naming, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0031");

    public static readonly DiagnosticDescriptor ClassNameCollision = new(ClassNameCollisionId,
        "Network class has the name of a generated member",
        "Network class '{0}' has the name of a member NetCompiler generates, and a member cannot have the name of its class; rename the class",
        Naming, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0032");

    public static readonly DiagnosticDescriptor ConstructorCollision = new(ConstructorCollisionId,
        "Constructor has the signature of a generated constructor",
        "Network '{0}' declares a constructor {1}, which NetCompiler generates (it sets the network's weights); remove it, or give it other parameters and start it with this() or this(weights)",
        Naming, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0033");

    public static readonly DiagnosticDescriptor ConstructorWithoutWeights = new(ConstructorWithoutWeightsId,
        "Constructor must call a generated constructor",
        "This constructor of network '{0}' must start with ': this()' or ': this(weights)': the generated constructors set the network's weights, which would otherwise be null",
        Naming, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0034");

    public static readonly DiagnosticDescriptor TooManyParameters = new(TooManyParametersId,
        "Network has more parameters than one buffer holds",
        "Network '{0}' has {1} parameters ({2} bytes); one buffer holds at most {3}",
        Performance, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0040");

    public static readonly DiagnosticDescriptor LargeNetwork = new(LargeNetworkId,
        "Network is very large",
        "Network '{0}' has {1} parameters, more than {2}: each instance holds {3} bytes of parameters and as many of gradients",
        Performance, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0041");

    public static readonly DiagnosticDescriptor LayerTooLarge = new(LayerTooLargeId,
        "Layer output is larger than a tensor may be",
        "{0}",
        Performance, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0043");

    public static readonly DiagnosticDescriptor NetworkCost = new(NetworkCostId,
        "Network cost",
        "Network '{0}': {1} parameters, {2} multiply-adds per forward pass, {3} bytes of parameters",
        Performance, DiagnosticSeverity.Info, isEnabledByDefault: false, helpLinkUri: HelpLinkBase + "nc0042",
        description: "Off by default; turn it on with 'dotnet_diagnostic.NC0042.severity = suggestion' (or warning) in .editorconfig to see each network's cost at build time.");

    public static readonly DiagnosticDescriptor UnknownSource = new(UnknownSourceId,
        "A From entry names no layer",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0050");

    public static readonly DiagnosticDescriptor DuplicateName = new(DuplicateNameId,
        "Layer names must be unique",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0051");

    public static readonly DiagnosticDescriptor ReservedName = new(ReservedNameId,
        "Layer name is reserved or empty",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0052");

    public static readonly DiagnosticDescriptor DuplicateSource = new(DuplicateSourceId,
        "A From list names a source twice",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0053");

    public static readonly DiagnosticDescriptor Cycle = new(CycleId,
        "Layers read each other in a cycle",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0054");

    public static readonly DiagnosticDescriptor UnusedLayer = new(UnusedLayerId,
        "Layer is not used",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0055");

    public static readonly DiagnosticDescriptor UnknownOutput = new(UnknownOutputId,
        "Output names no layer",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0056");

    public static readonly DiagnosticDescriptor WrongSourceCount = new(WrongSourceCountId,
        "Layer has the wrong number of sources",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0057");

    public static readonly DiagnosticDescriptor InputShapeUnsupported = new(InputShapeUnsupportedId,
        "Input shape is not supported",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0060");

    public static readonly DiagnosticDescriptor WrongSourceRank = new(WrongSourceRankId,
        "Source has the wrong rank for the layer",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0061");

    public static readonly DiagnosticDescriptor AddShapeMismatch = new(AddShapeMismatchId,
        "Sources of [Add] differ in shape",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0062");

    public static readonly DiagnosticDescriptor ConcatShapeMismatch = new(ConcatShapeMismatchId,
        "Sources of [Concat] cannot be joined",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0063");

    public static readonly DiagnosticDescriptor KernelTooLarge = new(KernelTooLargeId,
        "Kernel or window is larger than its input",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0064");

    public static readonly DiagnosticDescriptor StrideDoesNotTile = new(StrideDoesNotTileId,
        "Stride does not tile the input",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0065");

    public static readonly DiagnosticDescriptor ImplicitFlatten = new(ImplicitFlattenId,
        "Dense layer flattens a source with channels",
        "{0}",
        Topology, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0066");

    public static readonly DiagnosticDescriptor KernelNotPositive = new(KernelNotPositiveId,
        "Kernel size must be positive",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0070");

    public static readonly DiagnosticDescriptor StrideNotPositive = new(StrideNotPositiveId,
        "Stride must be positive",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0071");

    public static readonly DiagnosticDescriptor PaddingNegative = new(PaddingNegativeId,
        "Padding cannot be negative",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0072");

    public static readonly DiagnosticDescriptor PoolSizeNotPositive = new(PoolSizeNotPositiveId,
        "Pooling window size must be positive",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0073");

    public static readonly DiagnosticDescriptor ConnectionTableShape = new(ConnectionTableShapeId,
        "Connection table has the wrong shape",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0074");

    public static readonly DiagnosticDescriptor ConnectionTableEntry = new(ConnectionTableEntryId,
        "Connection table entry is neither 'X' nor '.'",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0075");

    public static readonly DiagnosticDescriptor ConnectionTableEmptyFilter = new(ConnectionTableEmptyFilterId,
        "Filter reads no input channel",
        "{0}",
        Topology, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0076");

    private const string Weights = "NetCompiler.Weights";

    public static readonly DiagnosticDescriptor WeightsNotAdditionalFile = new(WeightsNotAdditionalFileId,
        "Weights file is not an AdditionalFiles item",
        "The weights file '{0}' is not an AdditionalFiles item of this project (paths are relative to the project directory); add <AdditionalFiles Include=\"{1}\" /> to an <ItemGroup> of the project file",
        Weights, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0080");

    public static readonly DiagnosticDescriptor WeightsUnreadable = new(WeightsUnreadableId,
        "Weights file cannot be read",
        "Cannot read the weights file '{0}': {1}",
        Weights, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0081");

    public static readonly DiagnosticDescriptor WeightsMissingTensor = new(WeightsMissingTensorId,
        "Weights file lacks a tensor of the network",
        "The weights file '{0}' does not fit the network: {1}",
        Weights, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0082");

    public static readonly DiagnosticDescriptor WeightsUnexpectedTensor = new(WeightsUnexpectedTensorId,
        "Weights file has a tensor the network does not",
        "The weights file '{0}' does not fit the network: {1}",
        Weights, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0083");

    public static readonly DiagnosticDescriptor WeightsWrongShape = new(WeightsWrongShapeId,
        "Tensor in the weights file has the wrong shape",
        "The weights file '{0}' does not fit the network: {1}",
        Weights, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0084");

    public static readonly DiagnosticDescriptor WeightsUnsupportedDType = new(WeightsUnsupportedDTypeId,
        "Tensor in the weights file has an unsupported dtype",
        "The weights file '{0}' does not fit the network: {1}",
        Weights, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0085");

    public static readonly DiagnosticDescriptor WeightsNonZeroAbsentKernel = new(WeightsNonZeroAbsentKernelId,
        "Left-out kernel of a connection table holds weights",
        "The weights file '{0}' does not fit the network: {1}",
        Weights, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0086");

    public static readonly DiagnosticDescriptor WeightsTooLarge = new(WeightsTooLargeId,
        "Weights are too large to compile in",
        "The weights of this network take {1} bytes, more than the {2} one network may compile into an assembly ('{0}'); load them at run time with SafeTensors.Load",
        Weights, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0087");

    /// <summary>The NC008x and NC009x descriptors by ID: the generator reports them from the CompiledWeights problems.</summary>
    public static DiagnosticDescriptor WeightsDescriptor(string id) => id switch
    {
        OnnxNotAdditionalFileId => OnnxNotAdditionalFile,
        OnnxInvalidId => OnnxInvalid,
        OnnxUnsupportedOperatorId => OnnxUnsupportedOperator,
        OnnxUnsupportedAttributeId => OnnxUnsupportedAttribute,
        OnnxDynamicDimensionId => OnnxDynamicDimension,
        OnnxUnsupportedOpsetId => OnnxUnsupportedOpset,
        OnnxUnrepresentableId => OnnxUnrepresentable,
        OnnxTooLargeId => OnnxTooLarge,
        WeightsNotAdditionalFileId => WeightsNotAdditionalFile,
        WeightsUnreadableId => WeightsUnreadable,
        WeightsMissingTensorId => WeightsMissingTensor,
        WeightsUnexpectedTensorId => WeightsUnexpectedTensor,
        WeightsWrongShapeId => WeightsWrongShape,
        WeightsUnsupportedDTypeId => WeightsUnsupportedDType,
        WeightsNonZeroAbsentKernelId => WeightsNonZeroAbsentKernel,
        _ => WeightsTooLarge,
    };

    private const string Onnx = "NetCompiler.Onnx";

    public static readonly DiagnosticDescriptor OnnxNotAdditionalFile = new(OnnxNotAdditionalFileId,
        "ONNX model is not an AdditionalFiles item",
        "The ONNX model '{0}' is not an AdditionalFiles item of this project (paths are relative to the project directory); add <AdditionalFiles Include=\"{1}\" /> to an <ItemGroup> of the project file",
        Onnx, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0090");

    public static readonly DiagnosticDescriptor OnnxInvalid = new(OnnxInvalidId,
        "File is not a valid ONNX model",
        "'{0}' is not a valid ONNX model: {1}",
        Onnx, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0091");

    public static readonly DiagnosticDescriptor OnnxUnsupportedOperator = new(OnnxUnsupportedOperatorId,
        "ONNX operator is not supported",
        "The ONNX model '{0}' cannot be compiled: {1}",
        Onnx, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0092");

    public static readonly DiagnosticDescriptor OnnxUnsupportedAttribute = new(OnnxUnsupportedAttributeId,
        "ONNX attribute value is not supported",
        "The ONNX model '{0}' cannot be compiled: {1}",
        Onnx, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0093");

    public static readonly DiagnosticDescriptor OnnxDynamicDimension = new(OnnxDynamicDimensionId,
        "ONNX model has a dynamic dimension other than the batch",
        "The ONNX model '{0}' cannot be compiled: {1}",
        Onnx, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0094");

    public static readonly DiagnosticDescriptor OnnxUnsupportedOpset = new(OnnxUnsupportedOpsetId,
        "ONNX opset is outside the supported range",
        "The ONNX model '{0}' cannot be compiled: {1}",
        Onnx, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0095");

    public static readonly DiagnosticDescriptor OnnxUnrepresentable = new(OnnxUnrepresentableId,
        "ONNX graph has no NetCompiler equivalent",
        "The ONNX model '{0}' cannot be compiled: {1}",
        Onnx, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0096");

    public static readonly DiagnosticDescriptor OnnxWithDeclaredLayers = new(OnnxWithDeclaredLayersId,
        "A network imported from ONNX declares its own input, layers or weights",
        "'{0}' takes its input, layers and weights from the ONNX model '{1}': remove {2}",
        Usage, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0097");

    public static readonly DiagnosticDescriptor OnnxTooLarge = new(OnnxTooLargeId,
        "ONNX model's weights are too large to compile in",
        "The weights of the ONNX model '{0}' take {1} bytes, more than the {2} one network may compile into an assembly; load the model at run time with OnnxModel.Load",
        Onnx, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0098");

    public static readonly DiagnosticDescriptor GeneratorFailure = new(GeneratorFailureId,
        "The NetCompiler generator failed",
        "The NetCompiler generator failed on network '{0}' and generated nothing for it: {1}. This is a bug in NetCompiler; please report it with the network's attributes.",
        Generator, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLinkBase + "nc0900");
}
