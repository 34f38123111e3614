/// Softmax over `axis` (channels by default).
public struct Softmax: NetLayer {
    public var base: LayerSpec
    public var params: SoftmaxParams
    public var kind: LayerKind { .softmax(params) }

    public init(_ name: String = "", axis: Int = 1, fileID: String = #fileID, line: Int = #line) {
        params = SoftmaxParams(axis: axis)
        base = baseSpec(name, .softmax(params), fileID, line)
    }
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

/// The fraction of samples whose label is among the `topK` highest scores.
public struct Accuracy: NetLayer {
    public var base: LayerSpec
    public var params: AccuracyParams
    public var kind: LayerKind { .accuracy(params) }

    public init(_ name: String = "", topK: Int = 1, ignoreLabel: Int? = nil,
                fileID: String = #fileID, line: Int = #line) {
        var p = AccuracyParams(topK: topK)
        p.ignoreLabel = ignoreLabel
        params = p
        base = baseSpec(name, .accuracy(p), fileID, line)
    }

    /// The axis that holds the class scores (channels by default).
    public func axis(_ axis: Int) -> Self { with { $0.params.axis = axis } }
}
