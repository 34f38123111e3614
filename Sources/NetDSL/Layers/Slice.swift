public struct SliceParams: Codable, Equatable, Sendable {
    public var axis = 1
    /// Where each output after the first starts along `axis`; empty splits it evenly among the outputs.
    public var slicePoints: [Int] = []
    public init(axis: Int = 1, slicePoints: [Int] = []) {
        self.axis = axis
        self.slicePoints = slicePoints
    }
}

/// Caffe's Slice: cuts its input along `axis` into its outputs, which must be named.
public struct Slice: NetLayer {
    public var base: LayerSpec
    public var params: SliceParams
    public var kind: LayerKind { .slice(params) }

    public init(_ name: String = "", axis: Int = 1, at points: [Int] = [], fileID: String = #fileID, line: Int = #line) {
        params = SliceParams(axis: axis, slicePoints: points)
        base = baseSpec(name, .slice(params), fileID, line)
    }
}

extension SliceParams: LayerKindDeclaration {
    public static let typeName = "Slice"
    public static let settingsKey = "slice_param"
    public static let nameStem = "slice"
    public static let traits = LayerTraits.plain
    public var kind: LayerKind { .slice(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> SliceParams? {
        let f = layer.optionalMessage("slice_param")
        if f.has("axis") && f.has("slice_dim") {
            f.use("axis", "slice_dim")
            f.problem("slice_dim", "gives both axis and slice_dim; Caffe takes one, so keep axis")
            return nil
        }
        let axis = f.has("slice_dim") ? (f.count("slice_dim") ?? 1) : (f.int("axis") ?? 1)
        let points = f.counts("slice_point")
        if !points.isEmpty && points.count != layer.topCount - 1 {
            f.problem("slice_point", index: 0, "gives \(points.count) slice points for \(layer.topCount) tops; give one fewer than the tops")
            return nil
        }
        guard zip(points, points.dropFirst()).allSatisfy({ $0 < $1 }) else {
            f.problem("slice_point", index: 0, "slice points must increase")
            return nil
        }
        return SliceParams(axis: axis, slicePoints: points)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("slice_param") { s in
            s.int("axis", axis, unless: 1)
            for p in slicePoints { s.int("slice_point", p) }
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "Slice", arguments: name + (axis != 1 ? ["axis: \(SwiftLiteral.int(axis))"] : [])
                    + (slicePoints.isEmpty ? [] : ["at: \(SwiftLiteral.ints(slicePoints))"]))
    }
}
