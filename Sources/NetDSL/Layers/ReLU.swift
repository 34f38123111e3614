public struct ReLUParams: Codable, Equatable, Sendable {
    public var negativeSlope: Float = 0
    public init(negativeSlope: Float = 0) { self.negativeSlope = negativeSlope }
}

/// Rectified linear unit, in place unless given outputs; `negativeSlope` makes it leaky.
public struct ReLU: NetLayer {
    public var base: LayerSpec
    public var params: ReLUParams
    public var kind: LayerKind { .relu(params) }

    public init(_ name: String = "", negativeSlope: Float = 0, fileID: String = #fileID, line: Int = #line) {
        params = ReLUParams(negativeSlope: negativeSlope)
        base = baseSpec(name, .relu(params), fileID, line)
    }
}

extension ReLUParams: LayerKindDeclaration {
    public static let typeName = "ReLU"
    public static let settingsKey = "relu_param"
    public static let nameStem = "relu"
    public static let traits = LayerTraits(inPlace: .byDefault, nameMayBeLeftOut: true)
    public var kind: LayerKind { .relu(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> ReLUParams? {
        guard let rf = layer.message("relu_param") else { return ReLUParams() }
        rf.ignoresEngine()
        return ReLUParams(negativeSlope: rf.float("negative_slope") ?? 0)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("relu_param") { $0.float("negative_slope", negativeSlope, unless: 0) }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "ReLU", arguments: name + (negativeSlope != 0 ? ["negativeSlope: \(SwiftLiteral.float(negativeSlope))"] : []))
    }
}
