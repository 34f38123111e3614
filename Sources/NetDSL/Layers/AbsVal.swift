/// AbsVal has no settings.
public struct AbsValParams: Codable, Equatable, Sendable {
    public init() {}
}

/// Absolute value, |x|.
public struct AbsVal: NetLayer {
    public var base: LayerSpec
    public var kind: LayerKind { .absVal }

    public init(_ name: String = "", fileID: String = #fileID, line: Int = #line) {
        base = baseSpec(name, .absVal, fileID, line)
    }
}

extension AbsValParams: LayerKindDeclaration {
    public static let typeName = "AbsVal"
    public static let settingsKey = "absval_param"
    public static let nameStem = "absval"
    public static let traits = LayerTraits.elementwise
    public var kind: LayerKind { .absVal }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }
    public static func read(caffe layer: CaffeFields) -> AbsValParams? { AbsValParams() }
    public func write(caffe w: inout CaffeMessageWriter) {}
    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource { LayerSource(head: "AbsVal", arguments: name) }
}
