/// Sigmoid has no settings.
public struct SigmoidParams: Codable, Equatable, Sendable {
    public init() {}
}

/// Logistic sigmoid, 1 / (1 + e^-x).
public struct Sigmoid: NetLayer {
    public var base: LayerSpec
    public var kind: LayerKind { .sigmoid }

    public init(_ name: String = "", fileID: String = #fileID, line: Int = #line) {
        base = baseSpec(name, .sigmoid, fileID, line)
    }
}

extension SigmoidParams: LayerKindDeclaration {
    public static let typeName = "Sigmoid"
    public static let settingsKey = "sigmoid_param"
    public static let nameStem = "sigmoid"
    public static let traits = LayerTraits.elementwise
    public var kind: LayerKind { .sigmoid }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> SigmoidParams? {
        layer.message("sigmoid_param")?.ignoresEngine()
        return SigmoidParams()
    }

    public func write(caffe w: inout CaffeMessageWriter) {}

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource { LayerSource(head: "Sigmoid", arguments: name) }
}
