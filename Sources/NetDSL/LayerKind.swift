/// What a layer computes, with its settings. The runtime switches over this exhaustively, so a
/// kind added here without a kernel does not compile.
public enum LayerKind: Equatable, Sendable {
    case data(DataParams)
    case input(InputParams)
    case convolution(ConvolutionParams)
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
    /// One blob copied to several readers, each with its own gradient. The compiler inserts it
    /// where a blob branches; recipes do not write it.
    case split

    /// Caffe's `type` string.
    public var typeName: String {
        switch self {
        case .data: "Data"
        case .input: "Input"
        case .convolution: "Convolution"
        case .innerProduct: "InnerProduct"
        case .relu: "ReLU"
        case .pooling: "Pooling"
        case .lrn: "LRN"
        case .dropout: "Dropout"
        case .softmax: "Softmax"
        case .softmaxWithLoss: "SoftmaxWithLoss"
        case .accuracy: "Accuracy"
        case .concat: "Concat"
        case .eltwise: "Eltwise"
        case .flatten: "Flatten"
        case .sigmoid: "Sigmoid"
        case .tanh: "TanH"
        case .split: "Split"
        }
    }

    /// Stem for names of layers the recipe leaves unnamed (`relu1`, `pool2`, ...).
    var nameStem: String {
        switch self {
        case .data: "data"
        case .input: "input"
        case .convolution: "conv"
        case .innerProduct: "ip"
        case .relu: "relu"
        case .pooling: "pool"
        case .lrn: "norm"
        case .dropout: "drop"
        case .softmax: "prob"
        case .softmaxWithLoss: "loss"
        case .accuracy: "accuracy"
        case .concat: "concat"
        case .eltwise: "eltwise"
        case .flatten: "flatten"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        case .split: "split"
        }
    }

    /// Kinds a net usually has once, named plainly ("data", "loss") rather than numbered.
    var prefersPlainName: Bool {
        switch self {
        case .data, .input, .softmax, .softmaxWithLoss, .accuracy: true
        default: false
        }
    }

    /// Layers that overwrite their input when no output is named (Caffe's in-place ReLU, Dropout).
    public var runsInPlace: Bool {
        switch self {
        case .relu, .dropout: true
        default: false
        }
    }

    /// Layers that read the data layer's `label` blob as their second input.
    public var takesLabel: Bool {
        switch self {
        case .softmaxWithLoss, .accuracy: true
        default: false
        }
    }

    /// Layers whose output ends a chain: the next unnamed input skips over them.
    public var endsChain: Bool {
        switch self {
        case .softmaxWithLoss, .accuracy: true
        default: false
        }
    }

    /// Layers that start a chain and take no input.
    public var isSource: Bool {
        switch self {
        case .data, .input: true
        default: false
        }
    }

    /// Layers that need every input named, because they join branches.
    public var joinsBranches: Bool {
        switch self {
        case .concat, .eltwise: true
        default: false
        }
    }

    /// The loss weight Caffe gives the first output by default (1 for losses, 0 otherwise).
    public var defaultLossWeight: Float {
        if case .softmaxWithLoss = self { return 1 }
        return 0
    }
}
