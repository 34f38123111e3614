public struct BiasParams: Codable, Equatable, Sendable {
    /// The first input axis the bias covers; the bias's shape is the input's from there.
    public var axis = 1
    /// How many axes the bias covers (-1: all from `axis`).
    public var numAxes = 1
    public var filler: Filler = .constant(0)
    public init(axis: Int = 1, numAxes: Int = 1) {
        self.axis = axis
        self.numAxes = numAxes
    }
}

/// Caffe's Bias: the input plus a learned bias (one per channel by default); with a second
/// input, that blob is the bias.
public struct Bias: NetLayer {
    public var base: LayerSpec
    public var params: BiasParams
    public var kind: LayerKind { .bias(params) }

    public init(_ name: String = "", axis: Int = 1, numAxes: Int = 1, fileID: String = #fileID, line: Int = #line) {
        params = BiasParams(axis: axis, numAxes: numAxes)
        base = baseSpec(name, .bias(params), fileID, line)
    }

    public func bias(_ filler: Filler) -> Self { with { $0.params.filler = filler } }
}

extension BiasParams: LayerKindDeclaration {
    public static let typeName = "Bias"
    public static let settingsKey = "bias_param"
    public static let nameStem = "bias"
    public static let traits = LayerTraits(inPlace: .allowed)
    public var kind: LayerKind { .bias(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { inputs > 1 ? [] : [.bias] }

    public static func read(caffe layer: CaffeFields) -> BiasParams? {
        let f = layer.optionalMessage("bias_param")
        var p = BiasParams(axis: f.int("axis") ?? 1, numAxes: f.int("num_axes") ?? 1)
        guard p.numAxes >= -1 else {
            f.problem("num_axes", "num_axes must be -1 (every axis from axis on) or 0 or more")
            return nil
        }
        if let m = f.message("filler") {
            guard let filler = Filler.read(caffe: m) else { return nil }
            p.filler = filler
        }
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("bias_param") { b in
            b.int("axis", axis, unless: 1)
            b.int("num_axes", numAxes, unless: 1)
            if filler != .constant(0) { b.message("filler", filler.write(caffe:)) }
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        var args = name
        if axis != 1 { args.append("axis: \(SwiftLiteral.int(axis))") }
        if numAxes != 1 { args.append("numAxes: \(SwiftLiteral.int(numAxes))") }
        return LayerSource(head: "Bias", arguments: args,
                           modifiers: filler != .constant(0) ? [".bias(\(RecipeSource.filler(filler)))"] : [])
    }
}
