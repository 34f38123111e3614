public struct AccuracyParams: Codable, Equatable, Sendable {
    public var topK = 1
    public var axis = 1
    public var ignoreLabel: Int? = nil
    public init(topK: Int = 1) { self.topK = topK }
}

/// The fraction of samples whose label is among the `topK` highest scores.
public struct Accuracy: NetLayer {
    public var base: LayerSpec
    public var params: AccuracyParams
    public var kind: LayerKind { .accuracy(params) }

    public init(_ name: String = "", topK: Int = 1, ignoreLabel: Int? = nil,
                fileID: String = #fileID, line: Int = #line) {
        var p = AccuracyParams(topK: topK)
        p.ignoreLabel = ignoreLabel
        params = p
        base = baseSpec(name, .accuracy(p), fileID, line)
    }

    /// The axis that holds the class scores (channels by default).
    public func axis(_ axis: Int) -> Self { with { $0.params.axis = axis } }
}

extension AccuracyParams: LayerKindDeclaration {
    public static let typeName = "Accuracy"
    public static let settingsKey = "accuracy_param"
    public static let nameStem = "accuracy"
    public static let traits = LayerTraits(inputs: .previousAndLabel, endsChain: true, plainName: true, deployable: false)
    public var kind: LayerKind { .accuracy(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> AccuracyParams? {
        let af = layer.optionalMessage("accuracy_param")
        var p = AccuracyParams(topK: af.count("top_k") ?? 1)
        p.axis = af.int("axis") ?? 1
        p.ignoreLabel = af.int("ignore_label")
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("accuracy_param") { a in
            a.int("top_k", topK, unless: 1)
            a.int("axis", axis, unless: 1)
            if let ignoreLabel { a.int("ignore_label", ignoreLabel) }
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        var args = name
        if topK != 1 { args.append("topK: \(SwiftLiteral.int(topK))") }
        if let ignoreLabel { args.append("ignoreLabel: \(SwiftLiteral.int(ignoreLabel))") }
        var code = LayerSource(head: "Accuracy", arguments: args)
        if axis != 1 { code.modifiers.append(".axis(\(SwiftLiteral.int(axis)))") }
        return code
    }
}
