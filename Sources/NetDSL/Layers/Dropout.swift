public struct DropoutParams: Codable, Equatable, Sendable {
    public var ratio: Float = 0.5
    public init(ratio: Float = 0.5) { self.ratio = ratio }
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

extension DropoutParams: LayerKindDeclaration {
    public static let typeName = "Dropout"
    public static let settingsKey = "dropout_param"
    public static let nameStem = "drop"
    public static let traits = LayerTraits(inPlace: .byDefault, identityAtInference: true)
    public var kind: LayerKind { .dropout(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> DropoutParams? {
        DropoutParams(ratio: layer.optionalMessage("dropout_param").float("dropout_ratio") ?? 0.5)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("dropout_param") { $0.float("dropout_ratio", ratio) }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "Dropout", arguments: name + ["ratio: \(SwiftLiteral.float(ratio))"])
    }
}
