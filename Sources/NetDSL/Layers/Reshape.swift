public struct ReshapeParams: Codable, Equatable, Sendable {
    /// The new dimensions: 0 copies the input's, -1 (once) takes what the count leaves.
    public var shape: [Int]
    /// The first input axis replaced.
    public var axis = 0
    /// How many input axes are replaced (-1: all from `axis`).
    public var numAxes = -1
    public init(shape: [Int], axis: Int = 0, numAxes: Int = -1) {
        self.shape = shape
        self.axis = axis
        self.numAxes = numAxes
    }
}

/// Caffe's Reshape: the same values under another shape (a view; nothing is copied).
public struct Reshape: NetLayer {
    public var base: LayerSpec
    public var params: ReshapeParams
    public var kind: LayerKind { .reshape(params) }

    public init(_ name: String = "", shape: [Int], axis: Int = 0, numAxes: Int = -1,
                fileID: String = #fileID, line: Int = #line) {
        params = ReshapeParams(shape: shape, axis: axis, numAxes: numAxes)
        base = baseSpec(name, .reshape(params), fileID, line)
    }
}

extension ReshapeParams: LayerKindDeclaration {
    public static let typeName = "Reshape"
    public static let settingsKey = "reshape_param"
    public static let nameStem = "reshape"
    public static let traits = LayerTraits.plain
    public var kind: LayerKind { .reshape(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> ReshapeParams? {
        guard let f = layer.message("reshape_param"), let shape = f.message("shape") else {
            layer.problem(nil, "has no reshape_param { shape { dim: ... } }; add one (dim: 0 copies an input axis, -1 infers one)")
            return nil
        }
        let p = ReshapeParams(shape: shape.ints("dim"), axis: f.int("axis") ?? 0, numAxes: f.int("num_axes") ?? -1)
        if p.shape.contains(where: { $0 < -1 }) || p.shape.filter({ $0 == -1 }).count > 1 {
            shape.problem("dim", "dims must be positive, 0 (copy the input's) or -1 (infer), with at most one -1")
            return nil
        }
        guard p.numAxes >= -1 else {
            f.problem("num_axes", "num_axes must be -1 (every axis from axis on) or 0 or more")
            return nil
        }
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("reshape_param") { r in
            r.message("shape") { s in for d in shape { s.int("dim", d) } }
            r.int("axis", axis, unless: 0)
            r.int("num_axes", numAxes, unless: -1)
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "Reshape", arguments: name + ["shape: \(SwiftLiteral.ints(shape))"]
                    + (axis != 0 ? ["axis: \(SwiftLiteral.int(axis))"] : []) + (numAxes != -1 ? ["numAxes: \(SwiftLiteral.int(numAxes))"] : []))
    }
}
