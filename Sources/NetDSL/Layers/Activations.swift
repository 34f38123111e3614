/// Rectified linear unit, in place unless given outputs; `negativeSlope` makes it leaky.
public struct ReLU: NetLayer {
    public var base: LayerSpec
    public var params: ReLUParams
    public var kind: LayerKind { .relu(params) }

    public init(_ name: String = "", negativeSlope: Float = 0, fileID: String = #fileID, line: Int = #line) {
        params = ReLUParams(negativeSlope: negativeSlope)
        base = baseSpec(name, .relu(params), fileID, line)
    }
}

/// Logistic sigmoid, 1 / (1 + e^-x).
public struct Sigmoid: NetLayer {
    public var base: LayerSpec
    public var kind: LayerKind { .sigmoid }

    public init(_ name: String = "", fileID: String = #fileID, line: Int = #line) {
        base = baseSpec(name, .sigmoid, fileID, line)
    }
}

/// Hyperbolic tangent.
public struct TanH: NetLayer {
    public var base: LayerSpec
    public var kind: LayerKind { .tanh }

    public init(_ name: String = "", fileID: String = #fileID, line: Int = #line) {
        base = baseSpec(name, .tanh, fileID, line)
    }
}

/// Zeroes a random `ratio` of values while training and scales the rest by 1/(1-ratio);
/// the identity in TEST. In place unless given outputs.
public struct Dropout: NetLayer {
    public var base: LayerSpec
    public var params: DropoutParams
    public var kind: LayerKind { .dropout(params) }

    public init(_ name: String = "", ratio: Float = 0.5, fileID: String = #fileID, line: Int = #line) {
        params = DropoutParams(ratio: ratio)
        base = baseSpec(name, .dropout(params), fileID, line)
    }
}
