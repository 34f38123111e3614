public struct SwishParams: Codable, Equatable, Sendable {
    public var beta: Float = 1
    public init(beta: Float = 1) { self.beta = beta }
}

/// x * sigmoid(beta x).
public struct Swish: NetLayer {
    public var base: LayerSpec
    public var params: SwishParams
    public var kind: LayerKind { .swish(params) }

    public init(_ name: String = "", beta: Float = 1, fileID: String = #fileID, line: Int = #line) {
        params = SwishParams(beta: beta)
        base = baseSpec(name, .swish(params), fileID, line)
    }
}

extension SwishParams: LayerKindDeclaration {
    public static let typeName = "Swish"
    public static let settingsKey = "swish_param"
    public static let nameStem = "swish"
    public static let traits = LayerTraits.elementwise
    public var kind: LayerKind { .swish(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> SwishParams? {
        SwishParams(beta: layer.optionalMessage("swish_param").float("beta") ?? 1)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("swish_param") { $0.float("beta", beta, unless: 1) }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "Swish", arguments: name + (beta != 1 ? ["beta: \(SwiftLiteral.float(beta))"] : []))
    }
}
