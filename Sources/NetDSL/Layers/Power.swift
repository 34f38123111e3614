public struct PowerParams: Codable, Equatable, Sendable {
    public var power: Float = 1
    public var scale: Float = 1
    public var shift: Float = 0
    public init(power: Float = 1, scale: Float = 1, shift: Float = 0) {
        self.power = power
        self.scale = scale
        self.shift = shift
    }
}

/// (shift + scale x)^power.
public struct Power: NetLayer {
    public var base: LayerSpec
    public var params: PowerParams
    public var kind: LayerKind { .power(params) }

    public init(_ name: String = "", power: Float = 1, scale: Float = 1, shift: Float = 0,
                fileID: String = #fileID, line: Int = #line) {
        params = PowerParams(power: power, scale: scale, shift: shift)
        base = baseSpec(name, .power(params), fileID, line)
    }
}

extension PowerParams: LayerKindDeclaration {
    public static let typeName = "Power"
    public static let settingsKey = "power_param"
    public static let nameStem = "power"
    public static let traits = LayerTraits.elementwise
    public var kind: LayerKind { .power(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> PowerParams? {
        let f = layer.optionalMessage("power_param")
        return PowerParams(power: f.float("power") ?? 1, scale: f.float("scale") ?? 1, shift: f.float("shift") ?? 0)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("power_param") { p in
            p.float("power", power, unless: 1)
            p.float("scale", scale, unless: 1)
            p.float("shift", shift, unless: 0)
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        let f = SwiftLiteral.float
        return LayerSource(head: "Power", arguments: name + (power != 1 ? ["power: \(f(power))"] : [])
                           + (scale != 1 ? ["scale: \(f(scale))"] : []) + (shift != 0 ? ["shift: \(f(shift))"] : []))
    }
}
