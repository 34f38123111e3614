public struct ClipParams: Codable, Equatable, Sendable {
    public var min: Float
    public var max: Float
    public init(min: Float, max: Float) {
        self.min = min
        self.max = max
    }
}

/// x limited to [min, max].
public struct Clip: NetLayer {
    public var base: LayerSpec
    public var params: ClipParams
    public var kind: LayerKind { .clip(params) }

    public init(_ name: String = "", min: Float, max: Float, fileID: String = #fileID, line: Int = #line) {
        params = ClipParams(min: min, max: max)
        base = baseSpec(name, .clip(params), fileID, line)
    }
}

extension ClipParams: LayerKindDeclaration {
    public static let typeName = "Clip"
    public static let settingsKey = "clip_param"
    public static let nameStem = "clip"
    public static let traits = LayerTraits.elementwise
    public var kind: LayerKind { .clip(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> ClipParams? {
        guard let f = layer.message("clip_param") else {
            layer.problem(nil, "has no clip_param; add clip_param { min: ... max: ... }")
            return nil
        }
        let min = f.float("min"), max = f.float("max")
        guard let min, let max else {
            f.problem(nil, "clip_param needs both min and max")
            return nil
        }
        guard min <= max else {
            f.problem("min", "min \(min) is above max \(max)")
            return nil
        }
        return ClipParams(min: min, max: max)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("clip_param") { c in
            c.float("min", min)
            c.float("max", max)
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "Clip", arguments: name + ["min: \(SwiftLiteral.float(min))", "max: \(SwiftLiteral.float(max))"])
    }
}
