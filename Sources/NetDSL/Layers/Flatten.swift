public struct FlattenParams: Codable, Equatable, Sendable {
    public var axis = 1
    public var endAxis = -1
    public init(axis: Int = 1, endAxis: Int = -1) {
        self.axis = axis
        self.endAxis = endAxis
    }
}

/// Folds axes `axis...endAxis` into one (by default everything after the batch axis).
public struct Flatten: NetLayer {
    public var base: LayerSpec
    public var params: FlattenParams
    public var kind: LayerKind { .flatten(params) }

    public init(_ name: String = "", axis: Int = 1, endAxis: Int = -1,
                fileID: String = #fileID, line: Int = #line) {
        params = FlattenParams(axis: axis, endAxis: endAxis)
        base = baseSpec(name, .flatten(params), fileID, line)
    }
}

extension FlattenParams: LayerKindDeclaration {
    public static let typeName = "Flatten"
    public static let settingsKey = "flatten_param"
    public static let nameStem = "flatten"
    public static let traits = LayerTraits.plain
    public var kind: LayerKind { .flatten(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> FlattenParams? {
        // V1 has no flatten_param; one written there stays unread and is reported.
        guard !layer.isV1, let ff = layer.message("flatten_param") else { return FlattenParams() }
        return FlattenParams(axis: ff.int("axis") ?? 1, endAxis: ff.int("end_axis") ?? -1)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("flatten_param") { f in
            f.int("axis", axis, unless: 1)
            f.int("end_axis", endAxis, unless: -1)
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        var args = name
        if axis != 1 { args.append("axis: \(SwiftLiteral.int(axis))") }
        if endAxis != -1 { args.append("endAxis: \(SwiftLiteral.int(endAxis))") }
        return LayerSource(head: "Flatten", arguments: args)
    }
}
