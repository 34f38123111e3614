public struct LogParams: Codable, Equatable, Sendable {
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

/// log_base(shift + scale x); base -1 means e.
public struct Log: NetLayer {
    public var base: LayerSpec
    public var params: LogParams
    public var kind: LayerKind { .log(params) }

    public init(_ name: String = "", base: Float = -1, scale: Float = 1, shift: Float = 0,
                fileID: String = #fileID, line: Int = #line) {
        params = LogParams(base: base, scale: scale, shift: shift)
        self.base = baseSpec(name, .log(params), fileID, line)
    }
}

extension LogParams: BaseScaleShift {
    public static let typeName = "Log"
    public static let settingsKey = "log_param"
    public static let nameStem = "log"
    public static let traits = LayerTraits.elementwise
    public var kind: LayerKind { .log(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }
}
