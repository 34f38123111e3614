/// One layer of a net as a plain value: what it computes, what it reads and writes, and when.
public struct LayerSpec: Equatable, Sendable {
    /// Empty until the net names it; `Net` gives unnamed layers Caffe-style names.
    public var name: String
    public var kind: LayerKind
    /// Input blob names. Empty means "the previous layer's output" (implicit chaining).
    public var bottoms: [String]
    /// Output blob names. Empty means the layer's own name, or its input for in-place layers.
    public var tops: [String]
    /// The only phase the layer exists in; nil means both.
    public var phase: Phase?
    /// Per-parameter-blob lr and decay multipliers and share names (weights first, then bias).
    public var params: [ParamSpec]
    /// Weight of the first output in the net's loss; nil means the kind's default.
    public var lossWeight: Float?
    /// The recipe line that wrote this layer; not part of equality or JSON.
    public var location: SourceLocation

    public init(name: String = "", kind: LayerKind, bottoms: [String] = [], tops: [String] = [],
                phase: Phase? = nil, params: [ParamSpec] = [], lossWeight: Float? = nil,
                location: SourceLocation = .unknown) {
        self.name = name
        self.kind = kind
        self.bottoms = bottoms
        self.tops = tops
        self.phase = phase
        self.params = params
        self.lossWeight = lossWeight
        self.location = location
    }

    /// The multipliers for parameter blob `index`, Caffe's defaults (1, 1) where unset.
    public func param(_ index: Int) -> ParamSpec {
        index < params.count ? params[index] : ParamSpec()
    }

    /// `name (Type) at File.swift:12`, for error messages.
    public var label: String {
        let where_ = location.fileID.isEmpty ? "" : " at \(location)"
        return "layer '\(name)' (\(kind.typeName))\(where_)"
    }
}

extension LayerSpec: Codable {
    private enum CodingKeys: String, CodingKey {
        case name, type, bottom, top, phase, param, lossWeight
        case dataParam, inputParam, convolutionParam, innerProductParam, reluParam, poolingParam
        case lrnParam, dropoutParam, softmaxParam, lossParam, accuracyParam, concatParam
        case eltwiseParam, flattenParam
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind.typeName, forKey: .type)
        if !bottoms.isEmpty { try c.encode(bottoms, forKey: .bottom) }
        if !tops.isEmpty { try c.encode(tops, forKey: .top) }
        try c.encodeIfPresent(phase, forKey: .phase)
        if !params.isEmpty { try c.encode(params, forKey: .param) }
        try c.encodeIfPresent(lossWeight, forKey: .lossWeight)
        switch kind {
        case .data(let p): try c.encode(p, forKey: .dataParam)
        case .input(let p): try c.encode(p, forKey: .inputParam)
        case .convolution(let p): try c.encode(p, forKey: .convolutionParam)
        case .innerProduct(let p): try c.encode(p, forKey: .innerProductParam)
        case .relu(let p): try c.encode(p, forKey: .reluParam)
        case .pooling(let p): try c.encode(p, forKey: .poolingParam)
        case .lrn(let p): try c.encode(p, forKey: .lrnParam)
        case .dropout(let p): try c.encode(p, forKey: .dropoutParam)
        case .softmax(let p): try c.encode(p, forKey: .softmaxParam)
        case .softmaxWithLoss(let p): try c.encode(p, forKey: .lossParam)
        case .accuracy(let p): try c.encode(p, forKey: .accuracyParam)
        case .concat(let p): try c.encode(p, forKey: .concatParam)
        case .eltwise(let p): try c.encode(p, forKey: .eltwiseParam)
        case .flatten(let p): try c.encode(p, forKey: .flattenParam)
        case .sigmoid, .tanh, .split: break
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        bottoms = try c.decodeIfPresent([String].self, forKey: .bottom) ?? []
        tops = try c.decodeIfPresent([String].self, forKey: .top) ?? []
        phase = try c.decodeIfPresent(Phase.self, forKey: .phase)
        params = try c.decodeIfPresent([ParamSpec].self, forKey: .param) ?? []
        lossWeight = try c.decodeIfPresent(Float.self, forKey: .lossWeight)
        location = .unknown
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "Data": kind = .data(try c.decode(DataParams.self, forKey: .dataParam))
        case "Input": kind = .input(try c.decode(InputParams.self, forKey: .inputParam))
        case "Convolution": kind = .convolution(try c.decode(ConvolutionParams.self, forKey: .convolutionParam))
        case "InnerProduct": kind = .innerProduct(try c.decode(InnerProductParams.self, forKey: .innerProductParam))
        case "ReLU": kind = .relu(try c.decodeIfPresent(ReLUParams.self, forKey: .reluParam) ?? ReLUParams())
        case "Pooling": kind = .pooling(try c.decode(PoolingParams.self, forKey: .poolingParam))
        case "LRN": kind = .lrn(try c.decodeIfPresent(LRNParams.self, forKey: .lrnParam) ?? LRNParams())
        case "Dropout": kind = .dropout(try c.decodeIfPresent(DropoutParams.self, forKey: .dropoutParam) ?? DropoutParams())
        case "Softmax": kind = .softmax(try c.decodeIfPresent(SoftmaxParams.self, forKey: .softmaxParam) ?? SoftmaxParams())
        case "SoftmaxWithLoss":
            kind = .softmaxWithLoss(try c.decodeIfPresent(SoftmaxWithLossParams.self, forKey: .lossParam) ?? SoftmaxWithLossParams())
        case "Accuracy": kind = .accuracy(try c.decodeIfPresent(AccuracyParams.self, forKey: .accuracyParam) ?? AccuracyParams())
        case "Concat": kind = .concat(try c.decodeIfPresent(ConcatParams.self, forKey: .concatParam) ?? ConcatParams())
        case "Eltwise": kind = .eltwise(try c.decodeIfPresent(EltwiseParams.self, forKey: .eltwiseParam) ?? EltwiseParams())
        case "Flatten": kind = .flatten(try c.decodeIfPresent(FlattenParams.self, forKey: .flattenParam) ?? FlattenParams())
        case "Sigmoid": kind = .sigmoid
        case "TanH": kind = .tanh
        case "Split": kind = .split
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c,
                                                   debugDescription: "unknown layer type '\(type)'")
        }
    }
}
