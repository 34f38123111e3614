/// How a loss is divided, as Caffe's LossParameter.NormalizationMode.
public enum LossNormalization: String, Codable, Sendable, CaseIterable {
    case full = "FULL", valid = "VALID", batchSize = "BATCH_SIZE", none = "NONE"
}

public struct SoftmaxWithLossParams: Codable, Equatable, Sendable {
    public var axis = 1
    public var ignoreLabel: Int? = nil
    public var normalization: LossNormalization = .valid
    public init() {}
}

/// Softmax followed by the multinomial logistic loss against `label`; reads the previous
/// output and `label` unless given inputs.
public struct SoftmaxWithLoss: NetLayer {
    public var base: LayerSpec
    public var params: SoftmaxWithLossParams
    public var kind: LayerKind { .softmaxWithLoss(params) }

    public init(_ name: String = "", ignoreLabel: Int? = nil, normalization: LossNormalization = .valid,
                fileID: String = #fileID, line: Int = #line) {
        var p = SoftmaxWithLossParams()
        p.ignoreLabel = ignoreLabel
        p.normalization = normalization
        params = p
        base = baseSpec(name, .softmaxWithLoss(p), fileID, line)
    }

    /// The axis the softmax runs over (channels by default).
    public func axis(_ axis: Int) -> Self { with { $0.params.axis = axis } }
}

extension LossNormalization {
    /// Caffe's LossParameter: `normalization`, or the deprecated `normalize` when that is not given.
    static func read(caffe lf: CaffeFields) -> (ignoreLabel: Int?, normalization: LossNormalization) {
        let ignore = lf.int("ignore_label")
        let mode = lf.choice("normalization", ["FULL": Self.full, "VALID": .valid, "BATCH_SIZE": .batchSize, "NONE": .none])
        let normalize = lf.bool("normalize")
        if lf.has("normalization") || normalize == nil { return (ignore, mode ?? .valid) }
        return (ignore, normalize == true ? .valid : .batchSize)
    }

    var source: String {
        switch self {
        case .full: ".full"
        case .valid: ".valid"
        case .batchSize: ".batchSize"
        case .none: ".none"
        }
    }
}

extension SoftmaxWithLossParams: LayerKindDeclaration {
    public static let typeName = "SoftmaxWithLoss"
    public static let settingsKey = "loss_param"
    public static let nameStem = "loss"
    public static let traits = LayerTraits(inputs: .previousAndLabel, endsChain: true, defaultLossWeight: 1,
                                           plainName: true, deployable: false)
    public var kind: LayerKind { .softmaxWithLoss(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> SoftmaxWithLossParams? {
        var p = SoftmaxWithLossParams()
        p.axis = SoftmaxParams.axis(layer)
        if let lf = layer.message("loss_param") {
            (p.ignoreLabel, p.normalization) = LossNormalization.read(caffe: lf)
        }
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("softmax_param") { $0.int("axis", axis, unless: 1) }
        w.message("loss_param") { l in
            if let ignoreLabel { l.int("ignore_label", ignoreLabel) }
            if normalization != .valid { l.identifier("normalization", normalization.rawValue) }
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        var args = name
        if let ignoreLabel { args.append("ignoreLabel: \(SwiftLiteral.int(ignoreLabel))") }
        if normalization != .valid { args.append("normalization: \(normalization.source)") }
        var code = LayerSource(head: "SoftmaxWithLoss", arguments: args)
        if axis != 1 { code.modifiers.append(".axis(\(SwiftLiteral.int(axis)))") }
        return code
    }
}
