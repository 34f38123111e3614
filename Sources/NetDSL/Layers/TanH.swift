/// TanH has no settings.
public struct TanHParams: Codable, Equatable, Sendable {
    public init() {}
}

/// Hyperbolic tangent.
public struct TanH: NetLayer {
    public var base: LayerSpec
    public var kind: LayerKind { .tanh }

    public init(_ name: String = "", fileID: String = #fileID, line: Int = #line) {
        base = baseSpec(name, .tanh, fileID, line)
    }
}

extension TanHParams: LayerKindDeclaration {
    public static let typeName = "TanH"
    public static let settingsKey = "tanh_param"
    public static let nameStem = "tanh"
    public static let traits = LayerTraits.elementwise
    public var kind: LayerKind { .tanh }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> TanHParams? {
        layer.message("tanh_param")?.ignoresEngine()
        return TanHParams()
    }

    public func write(caffe w: inout CaffeMessageWriter) {}

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource { LayerSource(head: "TanH", arguments: name) }
}
