public struct SoftmaxParams: Codable, Equatable, Sendable {
    public var axis = 1
    public init(axis: Int = 1) { self.axis = axis }
}

/// Softmax over `axis` (channels by default).
public struct Softmax: NetLayer {
    public var base: LayerSpec
    public var params: SoftmaxParams
    public var kind: LayerKind { .softmax(params) }

    public init(_ name: String = "", axis: Int = 1, fileID: String = #fileID, line: Int = #line) {
        params = SoftmaxParams(axis: axis)
        base = baseSpec(name, .softmax(params), fileID, line)
    }
}

extension SoftmaxParams: LayerKindDeclaration {
    public static let typeName = "Softmax"
    public static let settingsKey = "softmax_param"
    public static let nameStem = "prob"
    public static let traits = LayerTraits(plainName: true)
    public var kind: LayerKind { .softmax(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    /// `softmax_param`'s axis (Softmax and SoftmaxWithLoss read it).
    static func axis(_ layer: CaffeFields) -> Int {
        guard let sf = layer.message("softmax_param") else { return 1 }
        sf.ignoresEngine()
        return sf.int("axis") ?? 1
    }

    public static func read(caffe layer: CaffeFields) -> SoftmaxParams? { SoftmaxParams(axis: axis(layer)) }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("softmax_param") { $0.int("axis", axis, unless: 1) }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "Softmax", arguments: name + (axis != 1 ? ["axis: \(SwiftLiteral.int(axis))"] : []))
    }
}
