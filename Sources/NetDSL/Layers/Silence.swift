/// Silence has no settings.
public struct SilenceParams: Codable, Equatable, Sendable {
    public init() {}
}

/// Caffe's Silence: reads blobs and writes none, so that an unused output is not a net output.
public struct Silence: NetLayer {
    public var base: LayerSpec
    public var kind: LayerKind { .silence }

    public init(_ name: String = "", _ inputs: String..., fileID: String = #fileID, line: Int = #line) {
        base = baseSpec(name, .silence, fileID, line)
        base.bottoms = inputs
    }
}

extension SilenceParams: LayerKindDeclaration {
    public static let typeName = "Silence"
    public static let settingsKey = "silence_param"
    public static let nameStem = "silence"
    public static let traits = LayerTraits(endsChain: true, producesOutput: false)
    public var kind: LayerKind { .silence }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }
    public static func read(caffe layer: CaffeFields) -> SilenceParams? { SilenceParams() }
    public func write(caffe w: inout CaffeMessageWriter) {}
    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "Silence", arguments: (name.isEmpty ? ["\"\""] : name) + layer.bottoms.map(SwiftLiteral.string),
                    bottomsInConstructor: true)
    }
}
