public struct ExpParams: Codable, Equatable, Sendable {
    /// -1 means e, as in Caffe.
    public var base: Float = -1
    public var scale: Float = 1
    public var shift: Float = 0
    public init(base: Float = -1, scale: Float = 1, shift: Float = 0) {
        self.base = base
        self.scale = scale
        self.shift = shift
    }
}

/// base^(shift + scale x); base -1 means e.
public struct Exp: NetLayer {
    public var base: LayerSpec
    public var params: ExpParams
    public var kind: LayerKind { .exp(params) }

    public init(_ name: String = "", base: Float = -1, scale: Float = 1, shift: Float = 0,
                fileID: String = #fileID, line: Int = #line) {
        params = ExpParams(base: base, scale: scale, shift: shift)
        self.base = baseSpec(name, .exp(params), fileID, line)
    }
}

extension ExpParams: LayerKindDeclaration {
    public static let typeName = "Exp"
    public static let settingsKey = "exp_param"
    public static let nameStem = "exp"
    public static let traits = LayerTraits.elementwise
    public var kind: LayerKind { .exp(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> ExpParams? {
        let f = layer.optionalMessage("exp_param")
        let p = ExpParams(base: f.float("base") ?? -1, scale: f.float("scale") ?? 1, shift: f.float("shift") ?? 0)
        guard p.base == -1 || p.base > 0 else {
            f.problem("base", "base must be -1 (for e) or positive")
            return nil
        }
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("exp_param") { p in
            p.float("base", base, unless: -1)
            p.float("scale", scale, unless: 1)
            p.float("shift", shift, unless: 0)
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        let f = SwiftLiteral.float
        return LayerSource(head: "Exp", arguments: name + (base != -1 ? ["base: \(f(base))"] : [])
                           + (scale != 1 ? ["scale: \(f(scale))"] : []) + (shift != 0 ? ["shift: \(f(shift))"] : []))
    }
}
