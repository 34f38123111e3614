public enum ReductionOperation: String, Codable, Sendable {
    case sum = "SUM", absoluteSum = "ASUM", sumOfSquares = "SUMSQ", mean = "MEAN"

    var source: String {
        switch self {
        case .sum: ".sum"
        case .absoluteSum: ".absoluteSum"
        case .sumOfSquares: ".sumOfSquares"
        case .mean: ".mean"
        }
    }
}

public struct ReductionParams: Codable, Equatable, Sendable {
    public var operation: ReductionOperation = .sum
    /// The first axis reduced: every axis from it on becomes one value.
    public var axis = 0
    public var coeff: Float = 1
    public init(_ operation: ReductionOperation = .sum, axis: Int = 0, coeff: Float = 1) {
        self.operation = operation
        self.axis = axis
        self.coeff = coeff
    }
}

/// Caffe's Reduction: the sum, absolute sum, sum of squares or mean of every axis from `axis`
/// on, times `coeff`.
public struct Reduction: NetLayer {
    public var base: LayerSpec
    public var params: ReductionParams
    public var kind: LayerKind { .reduction(params) }

    public init(_ name: String = "", _ operation: ReductionOperation = .sum, axis: Int = 0, coeff: Float = 1,
                fileID: String = #fileID, line: Int = #line) {
        params = ReductionParams(operation, axis: axis, coeff: coeff)
        base = baseSpec(name, .reduction(params), fileID, line)
    }
}

extension ReductionParams: LayerKindDeclaration {
    public static let typeName = "Reduction"
    public static let settingsKey = "reduction_param"
    public static let nameStem = "reduction"
    public static let traits = LayerTraits.plain
    public var kind: LayerKind { .reduction(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> ReductionParams? {
        let f = layer.optionalMessage("reduction_param")
        let op = f.choice("operation", ["SUM": ReductionOperation.sum, "ASUM": .absoluteSum, "SUMSQ": .sumOfSquares, "MEAN": .mean]) ?? .sum
        return ReductionParams(op, axis: f.int("axis") ?? 0, coeff: f.float("coeff") ?? 1)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("reduction_param") { r in
            if operation != .sum { r.identifier("operation", operation.rawValue) }
            r.int("axis", axis, unless: 0)
            r.float("coeff", coeff, unless: 1)
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        // An operation after no name would read as the name.
        let named = name.isEmpty && operation != .sum ? ["\"\""] : name
        return LayerSource(head: "Reduction", arguments: named + (operation != .sum ? [operation.source] : [])
                    + (axis != 0 ? ["axis: \(SwiftLiteral.int(axis))"] : []) + (coeff != 1 ? ["coeff: \(SwiftLiteral.float(coeff))"] : []))
    }
}
