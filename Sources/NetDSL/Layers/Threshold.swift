public struct ThresholdParams: Codable, Equatable, Sendable {
    public var threshold: Float = 0
    public init(threshold: Float = 0) { self.threshold = threshold }
}

/// 1 where x > threshold, else 0. Its gradient is 0 wherever it exists.
public struct Threshold: NetLayer {
    public var base: LayerSpec
    public var params: ThresholdParams
    public var kind: LayerKind { .threshold(params) }

    public init(_ name: String = "", threshold: Float = 0, fileID: String = #fileID, line: Int = #line) {
        params = ThresholdParams(threshold: threshold)
        base = baseSpec(name, .threshold(params), fileID, line)
    }
}

extension ThresholdParams: LayerKindDeclaration {
    public static let typeName = "Threshold"
    public static let settingsKey = "threshold_param"
    public static let nameStem = "threshold"
    public static let traits = LayerTraits.elementwise
    public var kind: LayerKind { .threshold(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> ThresholdParams? {
        ThresholdParams(threshold: layer.optionalMessage("threshold_param").float("threshold") ?? 0)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("threshold_param") { $0.float("threshold", threshold, unless: 0) }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "Threshold", arguments: name + (threshold != 0 ? ["threshold: \(SwiftLiteral.float(threshold))"] : []))
    }
}
