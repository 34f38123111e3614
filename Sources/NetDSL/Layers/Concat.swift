public struct ConcatParams: Codable, Equatable, Sendable {
    public var axis = 1
    public init(axis: Int = 1) { self.axis = axis }
}

/// Joins blobs along `axis` (channels by default); its inputs must be named.
public struct Concat: NetLayer {
    public var base: LayerSpec
    public var params: ConcatParams
    public var kind: LayerKind { .concat(params) }

    public init(_ name: String = "", _ inputs: String..., axis: Int = 1,
                fileID: String = #fileID, line: Int = #line) {
        params = ConcatParams(axis: axis)
        base = baseSpec(name, .concat(params), fileID, line)
        base.bottoms = inputs
    }
}

extension ConcatParams: LayerKindDeclaration {
    public static let typeName = "Concat"
    public static let settingsKey = "concat_param"
    public static let nameStem = "concat"
    public static let traits = LayerTraits(inputs: .named)
    public var kind: LayerKind { .concat(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> ConcatParams? {
        guard let cf = layer.message("concat_param") else { return ConcatParams() }
        if cf.has("axis") && cf.has("concat_dim") {
            cf.use("axis")
            cf.use("concat_dim")
            cf.problem("concat_dim", "gives both axis and concat_dim; Caffe takes one, so keep axis")
            return nil
        }
        return ConcatParams(axis: cf.has("concat_dim") ? (cf.count("concat_dim") ?? 1) : (cf.int("axis") ?? 1))
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("concat_param") { $0.int("axis", axis, unless: 1) }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "Concat", arguments: (name.isEmpty ? ["\"\""] : name) + layer.bottoms.map(SwiftLiteral.string)
                    + (axis != 1 ? ["axis: \(SwiftLiteral.int(axis))"] : []), bottomsInConstructor: true)
    }
}
