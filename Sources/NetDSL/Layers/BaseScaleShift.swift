/// Settings of the form base^(shift + scale x) / log_base(shift + scale x) that Exp and Log share:
/// Caffe's `exp_param` and `log_param` have the same three fields, base -1 meaning e.
protocol BaseScaleShift: LayerKindDeclaration {
    var base: Float { get }
    var scale: Float { get }
    var shift: Float { get }
    init(base: Float, scale: Float, shift: Float)
}

extension BaseScaleShift {
    public static func read(caffe layer: CaffeFields) -> Self? {
        let f = layer.optionalMessage(settingsKey)
        let p = Self(base: f.float("base") ?? -1, scale: f.float("scale") ?? 1, shift: f.float("shift") ?? 0)
        guard p.base == -1 || p.base > 0 else {
            f.problem("base", "base must be -1 (for e) or positive")
            return nil
        }
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message(Self.settingsKey) { p in
            p.float("base", base, unless: -1)
            p.float("scale", scale, unless: 1)
            p.float("shift", shift, unless: 0)
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        let f = SwiftLiteral.float
        return LayerSource(head: Self.typeName, arguments: name + (base != -1 ? ["base: \(f(base))"] : [])
                           + (scale != 1 ? ["scale: \(f(scale))"] : []) + (shift != 0 ? ["shift: \(f(shift))"] : []))
    }
}
