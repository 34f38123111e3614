public struct ScaleParams: Codable, Equatable, Sendable {
    /// The first input axis the scale covers; the scale's shape is the input's from there.
    public var axis = 1
    /// How many axes the scale covers (-1: all from `axis`).
    public var numAxes = 1
    public var filler: Filler = .constant(1)
    public var biasTerm = false
    public var biasFiller: Filler = .constant(0)
    public init(axis: Int = 1, numAxes: Int = 1, biasTerm: Bool = false) {
        self.axis = axis
        self.numAxes = numAxes
        self.biasTerm = biasTerm
    }
}

/// Caffe's Scale: the input times a learned scale (one per channel by default), plus a learned
/// bias with `bias: true`; with a second input, that blob is the scale. After a BatchNorm it
/// learns the normalised values' scale and shift, as in Caffe's ResNets.
public struct Scale: NetLayer {
    public var base: LayerSpec
    public var params: ScaleParams
    public var kind: LayerKind { .scale(params) }

    public init(_ name: String = "", bias: Bool = false, axis: Int = 1, numAxes: Int = 1,
                fileID: String = #fileID, line: Int = #line) {
        params = ScaleParams(axis: axis, numAxes: numAxes, biasTerm: bias)
        base = baseSpec(name, .scale(params), fileID, line)
    }

    public func scales(_ filler: Filler) -> Self { with { $0.params.filler = filler } }
    public func bias(_ filler: Filler) -> Self { with { $0.params.biasFiller = filler } }
}

extension ScaleParams: LayerKindDeclaration {
    public static let typeName = "Scale"
    public static let settingsKey = "scale_param"
    public static let nameStem = "scale"
    public static let traits = LayerTraits(inPlace: .byDefault)
    public var kind: LayerKind { .scale(self) }

    /// The scale, unless a second input gives it, then the bias.
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] {
        (inputs > 1 ? [] : [ParameterBlob("scale")]) + (biasTerm ? [.bias] : [])
    }

    public static func read(caffe layer: CaffeFields) -> ScaleParams? {
        let f = layer.optionalMessage("scale_param")
        var p = ScaleParams(axis: f.int("axis") ?? 1, numAxes: f.int("num_axes") ?? 1, biasTerm: f.bool("bias_term") ?? false)
        guard p.numAxes >= -1 else {
            f.problem("num_axes", "num_axes must be -1 (every axis from axis on) or 0 or more")
            return nil
        }
        if let m = f.message("filler") {
            guard let filler = Filler.read(caffe: m) else { return nil }
            p.filler = filler
        }
        if let m = f.message("bias_filler") {
            guard let filler = Filler.read(caffe: m) else { return nil }
            p.biasFiller = filler
        }
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("scale_param") { s in
            s.int("axis", axis, unless: 1)
            s.int("num_axes", numAxes, unless: 1)
            if filler != .constant(1) { s.message("filler", filler.write(caffe:)) }
            s.bool("bias_term", biasTerm, unless: false)
            if biasFiller != .constant(0) { s.message("bias_filler", biasFiller.write(caffe:)) }
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        var args = name
        if biasTerm { args.append("bias: true") }
        if axis != 1 { args.append("axis: \(SwiftLiteral.int(axis))") }
        if numAxes != 1 { args.append("numAxes: \(SwiftLiteral.int(numAxes))") }
        var code = LayerSource(head: "Scale", arguments: args)
        if filler != .constant(1) { code.modifiers.append(".scales(\(RecipeSource.filler(filler)))") }
        if biasFiller != .constant(0) { code.modifiers.append(".bias(\(RecipeSource.filler(biasFiller)))") }
        return code
    }
}
