public struct ArgMaxParams: Codable, Equatable, Sendable {
    /// Also give the values (without `axis`: indices then values; with it: the values only).
    public var outMaxVal = false
    public var topK = 1
    /// The axis searched; nil searches everything after the batch axis.
    public var axis: Int? = nil
    public init(topK: Int = 1, outMaxVal: Bool = false, axis: Int? = nil) {
        self.topK = topK
        self.outMaxVal = outMaxVal
        self.axis = axis
    }
}

/// Caffe's ArgMax: the indices (or values) of the `topK` largest entries. It has no gradient.
public struct ArgMax: NetLayer {
    public var base: LayerSpec
    public var params: ArgMaxParams
    public var kind: LayerKind { .argMax(params) }

    public init(_ name: String = "", topK: Int = 1, outMaxVal: Bool = false, axis: Int? = nil,
                fileID: String = #fileID, line: Int = #line) {
        params = ArgMaxParams(topK: topK, outMaxVal: outMaxVal, axis: axis)
        base = baseSpec(name, .argMax(params), fileID, line)
    }
}

extension ArgMaxParams: LayerKindDeclaration {
    public static let typeName = "ArgMax"
    public static let settingsKey = "argmax_param"
    public static let nameStem = "argmax"
    public static let traits = LayerTraits(endsChain: true)
    public var kind: LayerKind { .argMax(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> ArgMaxParams? {
        let f = layer.optionalMessage("argmax_param")
        let p = ArgMaxParams(topK: f.count("top_k") ?? 1, outMaxVal: f.bool("out_max_val") ?? false, axis: f.int("axis"))
        guard p.topK >= 1 else {
            f.problem("top_k", "top_k must be at least 1")
            return nil
        }
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("argmax_param") { a in
            a.bool("out_max_val", outMaxVal, unless: false)
            a.int("top_k", topK, unless: 1)
            if let axis { a.int("axis", axis) }
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        var args = name
        if topK != 1 { args.append("topK: \(SwiftLiteral.int(topK))") }
        if outMaxVal { args.append("outMaxVal: true") }
        if let axis { args.append("axis: \(SwiftLiteral.int(axis))") }
        return LayerSource(head: "ArgMax", arguments: args)
    }
}
