/// Caffe's Input layer: blobs of fixed shape that the caller fills (deploy nets, timing).
public struct InputParams: Codable, Equatable, Sendable {
    public var shapes: [[Int]]
    public init(shapes: [[Int]]) { self.shapes = shapes }
}

/// Caffe's Input layer: blobs of a fixed shape filled by the caller (deploy nets, timing).
public struct Input: NetLayer {
    public var base: LayerSpec
    public var params: InputParams
    public var kind: LayerKind { .input(params) }

    public init(_ name: String = "", shape: [Int], fileID: String = #fileID, line: Int = #line) {
        params = InputParams(shapes: [shape])
        base = baseSpec(name, .input(params), fileID, line)
        base.tops = Self.tops(count: 1)
    }

    /// Several inputs, e.g. `[[64, 1, 28, 28], [64]]` for `data` and `label`.
    public init(_ name: String = "", shapes: [[Int]], fileID: String = #fileID, line: Int = #line) {
        params = InputParams(shapes: shapes)
        base = baseSpec(name, .input(params), fileID, line)
        base.tops = Self.tops(count: shapes.count)
    }

    static func tops(count: Int) -> [String] {
        count == 2 ? ["data", "label"] : (0..<count).map { $0 == 0 ? "data" : "data\($0)" }
    }
}

extension InputParams: LayerKindDeclaration {
    public static let typeName = "Input"
    public static let settingsKey = "input_param"
    public static let nameStem = "input"
    public static let traits = LayerTraits(inputs: .none, plainName: true, nameMayBeLeftOut: true)
    public var kind: LayerKind { .input(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> InputParams? {
        guard let inf = layer.message("input_param") else {
            layer.problem(nil, "has no input_param; add input_param { shape { dim: 1 dim: 3 dim: 224 dim: 224 } }")
            return nil
        }
        let shapeFields = inf.messages("shape")
        let shapes = shapeFields.map { $0.ints("dim") }
        guard !shapes.isEmpty else {
            inf.problem(nil, "input_param has no shape; add shape { dim: ... } for each top")
            return nil
        }
        if shapes.count != 1 && shapes.count != layer.topCount {
            inf.problem("shape", index: 0, "input_param has \(shapes.count) shapes for \(layer.topCount) tops; give one shape, or one per top")
        }
        for (shape, sf) in zip(shapes, shapeFields) where shape.isEmpty || shape.contains(where: { $0 <= 0 }) {
            sf.problem(nil, "shape \(shape) is not valid; every dim must be positive")
        }
        return InputParams(shapes: shapes)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("input_param") { p in
            for shape in shapes { p.message("shape") { s in for d in shape { s.int("dim", d) } } }
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        let shapeArgument = shapes.count == 1 ? "shape: \(SwiftLiteral.ints(shapes[0]))"
            : "shapes: [\(shapes.map(SwiftLiteral.ints).joined(separator: ", "))]"
        return LayerSource(head: "Input", arguments: name + [shapeArgument], constructorTops: Input.tops(count: shapes.count))
    }
}
