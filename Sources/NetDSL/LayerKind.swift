/// What a layer computes, with its settings: the one list of Crema's layer kinds. Everything
/// about a kind is in its declaration (`settings`, a `LayerKindDeclaration`); the runtime binds
/// each case to its kernel in an exhaustive switch, so a kind without a kernel does not compile.
public enum LayerKind: Equatable, Sendable {
    case data(DataParams)
    case input(InputParams)
    case convolution(ConvolutionParams)
    case deconvolution(DeconvolutionParams)
    case innerProduct(InnerProductParams)
    case relu(ReLUParams)
    case pooling(PoolingParams)
    case lrn(LRNParams)
    case dropout(DropoutParams)
    case softmax(SoftmaxParams)
    case softmaxWithLoss(SoftmaxWithLossParams)
    case accuracy(AccuracyParams)
    case concat(ConcatParams)
    case eltwise(EltwiseParams)
    case flatten(FlattenParams)
    case sigmoid
    case tanh
    case elu(ELUParams)
    case absVal
    case bnll
    case power(PowerParams)
    case exp(ExpParams)
    case log(LogParams)
    case threshold(ThresholdParams)
    case clip(ClipParams)
    case swish(SwishParams)
    case prelu(PReLUParams)
    case batchNorm(BatchNormParams)
    case scale(ScaleParams)
    case bias(BiasParams)
    case reshape(ReshapeParams)
    case silence
    case argMax(ArgMaxParams)
    case slice(SliceParams)
    case crop(CropParams)
    case tile(TileParams)
    case reduction(ReductionParams)
    /// One blob copied to several readers, each with its own gradient. The compiler inserts it
    /// where a blob branches; recipes do not write it.
    case split

    /// The kind's declaration, carrying its settings.
    public var settings: any LayerKindDeclaration {
        switch self {
        case .data(let p): p
        case .input(let p): p
        case .convolution(let p): p
        case .deconvolution(let p): p
        case .innerProduct(let p): p
        case .relu(let p): p
        case .pooling(let p): p
        case .lrn(let p): p
        case .dropout(let p): p
        case .softmax(let p): p
        case .softmaxWithLoss(let p): p
        case .accuracy(let p): p
        case .concat(let p): p
        case .eltwise(let p): p
        case .flatten(let p): p
        case .sigmoid: SigmoidParams()
        case .tanh: TanHParams()
        case .elu(let p): p
        case .absVal: AbsValParams()
        case .bnll: BNLLParams()
        case .power(let p): p
        case .exp(let p): p
        case .log(let p): p
        case .threshold(let p): p
        case .clip(let p): p
        case .swish(let p): p
        case .prelu(let p): p
        case .batchNorm(let p): p
        case .scale(let p): p
        case .bias(let p): p
        case .reshape(let p): p
        case .silence: SilenceParams()
        case .argMax(let p): p
        case .slice(let p): p
        case .crop(let p): p
        case .tile(let p): p
        case .reduction(let p): p
        case .split: SplitParams()
        }
    }

    /// Every kind's declaration, for reading a kind from its Caffe type name.
    public static let declarations: [any LayerKindDeclaration.Type] = [
        DataParams.self, InputParams.self, ConvolutionParams.self, DeconvolutionParams.self, InnerProductParams.self, ReLUParams.self,
        PoolingParams.self, LRNParams.self, DropoutParams.self, SoftmaxParams.self, SoftmaxWithLossParams.self,
        AccuracyParams.self, ConcatParams.self, EltwiseParams.self, FlattenParams.self, SigmoidParams.self,
        TanHParams.self, ELUParams.self, AbsValParams.self, BNLLParams.self, PowerParams.self, ExpParams.self,
        LogParams.self, ThresholdParams.self, ClipParams.self, SwishParams.self, PReLUParams.self,
        BatchNormParams.self, ScaleParams.self, BiasParams.self, ReshapeParams.self, SilenceParams.self,
        ArgMaxParams.self, SliceParams.self, CropParams.self, TileParams.self, ReductionParams.self, SplitParams.self,
    ]

    /// The declaration whose Caffe type name is `typeName`.
    public static func declaration(typeName: String) -> (any LayerKindDeclaration.Type)? {
        declarations.first { $0.typeName == typeName }
    }

    private var declaration: any LayerKindDeclaration.Type { type(of: settings) }

    /// Caffe's `type` string.
    public var typeName: String { declaration.typeName }

    public var traits: LayerTraits { declaration.traits }

    /// Stem for names of layers the recipe leaves unnamed (`relu1`, `pool2`, ...).
    var nameStem: String { declaration.nameStem }

    /// The blobs the layer keeps, for a layer that reads `inputs` blobs.
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { settings.parameterBlobs(inputs: inputs) }

    /// Layers that overwrite their input when no output is named (Caffe's in-place ReLU, Dropout).
    public var runsInPlace: Bool { traits.inPlace == .byDefault }

    /// Whether the layer may write its output over its input.
    public var mayRunInPlace: Bool { traits.inPlace != .never }

    /// Layers that read the data layer's `label` blob as their second input.
    public var takesLabel: Bool { traits.inputs == .previousAndLabel }

    /// Layers whose output ends a chain: the next unnamed input skips over them.
    public var endsChain: Bool { traits.endsChain }

    /// Layers that start a chain and take no input.
    public var isSource: Bool { traits.inputs == .none }

    /// Layers that need every input named, because they join branches.
    public var joinsBranches: Bool { traits.inputs == .named }

    /// The loss weight Caffe gives the first output by default (1 for losses, 0 otherwise).
    public var defaultLossWeight: Float { traits.defaultLossWeight }
}
