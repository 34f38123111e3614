public struct ExpParams: Codable, Equatable, Sendable {
    /// -1 means e, as in Caffe.
    public var base: Float = -1
    public var scale: Float = 1
    public var shift: Float = 0
    public init(base: Float = -1, scale: Float = 1, shift: Float = 0) {
        self.base = base
        self.scale = scale
        self.shift = shift
    }
}

/// base^(shift + scale x); base -1 means e.
public struct Exp: NetLayer {
    public var base: LayerSpec
    public var params: ExpParams
    public var kind: LayerKind { .exp(params) }

    public init(_ name: String = "", base: Float = -1, scale: Float = 1, shift: Float = 0,
                fileID: String = #fileID, line: Int = #line) {
        params = ExpParams(base: base, scale: scale, shift: shift)
        self.base = baseSpec(name, .exp(params), fileID, line)
    }
}

extension ExpParams: BaseScaleShift {
    public static let typeName = "Exp"
    public static let settingsKey = "exp_param"
    public static let nameStem = "exp"
    public static let traits = LayerTraits.elementwise
    public var kind: LayerKind { .exp(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }
}
