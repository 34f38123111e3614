/// BNLL has no settings.
public struct BNLLParams: Codable, Equatable, Sendable {
    public init() {}
}

/// Binomial normal log likelihood, log(1 + e^x) (softplus).
public struct BNLL: NetLayer {
    public var base: LayerSpec
    public var kind: LayerKind { .bnll }

    public init(_ name: String = "", fileID: String = #fileID, line: Int = #line) {
        base = baseSpec(name, .bnll, fileID, line)
    }
}

extension BNLLParams: LayerKindDeclaration {
    public static let typeName = "BNLL"
    public static let settingsKey = "bnll_param"
    public static let nameStem = "bnll"
    public static let traits = LayerTraits.elementwise
    public var kind: LayerKind { .bnll }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }
    public static func read(caffe layer: CaffeFields) -> BNLLParams? { BNLLParams() }
    public func write(caffe w: inout CaffeMessageWriter) {}
    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource { LayerSource(head: "BNLL", arguments: name) }
}
