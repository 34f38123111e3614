public struct ELUParams: Codable, Equatable, Sendable {
    public var alpha: Float = 1
    public init(alpha: Float = 1) { self.alpha = alpha }
}

/// Exponential linear unit: x for x > 0, alpha (e^x - 1) otherwise.
public struct ELU: NetLayer {
    public var base: LayerSpec
    public var params: ELUParams
    public var kind: LayerKind { .elu(params) }

    public init(_ name: String = "", alpha: Float = 1, fileID: String = #fileID, line: Int = #line) {
        params = ELUParams(alpha: alpha)
        base = baseSpec(name, .elu(params), fileID, line)
    }
}

extension ELUParams: LayerKindDeclaration {
    public static let typeName = "ELU"
    public static let settingsKey = "elu_param"
    public static let nameStem = "elu"
    public static let traits = LayerTraits.elementwise
    public var kind: LayerKind { .elu(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> ELUParams? {
        ELUParams(alpha: layer.optionalMessage("elu_param").float("alpha") ?? 1)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("elu_param") { $0.float("alpha", alpha, unless: 1) }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "ELU", arguments: name + (alpha != 1 ? ["alpha: \(SwiftLiteral.float(alpha))"] : []))
    }
}
