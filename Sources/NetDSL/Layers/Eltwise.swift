public enum EltwiseOperation: String, Codable, Sendable {
    case product = "PROD", sum = "SUM", max = "MAX"

    var source: String {
        switch self {
        case .product: ".product"
        case .sum: ".sum"
        case .max: ".max"
        }
    }
}

public struct EltwiseParams: Codable, Equatable, Sendable {
    public var operation: EltwiseOperation = .sum
    /// Per-input coefficients for `.sum` (empty means all 1).
    public var coeff: [Float] = []
    public init(operation: EltwiseOperation = .sum, coeff: [Float] = []) {
        self.operation = operation
        self.coeff = coeff
    }
}

/// Element-wise sum (with coefficients), product or maximum of named blobs of one shape.
public struct Eltwise: NetLayer {
    public var base: LayerSpec
    public var params: EltwiseParams
    public var kind: LayerKind { .eltwise(params) }

    public init(_ name: String = "", _ operation: EltwiseOperation, _ inputs: String..., coeff: [Float] = [],
                fileID: String = #fileID, line: Int = #line) {
        params = EltwiseParams(operation: operation, coeff: coeff)
        base = baseSpec(name, .eltwise(params), fileID, line)
        base.bottoms = inputs
    }
}

extension EltwiseParams: LayerKindDeclaration {
    public static let typeName = "Eltwise"
    public static let settingsKey = "eltwise_param"
    public static let nameStem = "eltwise"
    public static let traits = LayerTraits(inputs: .named)
    public var kind: LayerKind { .eltwise(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> EltwiseParams? {
        guard let ef = layer.message("eltwise_param") else { return EltwiseParams() }
        let operation = ef.choice("operation", ["PROD": EltwiseOperation.product, "SUM": .sum, "MAX": .max]) ?? .sum
        let coeffs = ef.floats("coeff")
        if !coeffs.isEmpty && operation != .sum {
            ef.problem("coeff", index: 0, "coefficients apply only to operation: SUM; remove them")
            return nil
        }
        if ef.bool("stable_prod_grad") == false {
            ef.note("stable_prod_grad", "ignored: Crema computes the product gradient one way only")
        }
        return EltwiseParams(operation: operation, coeff: coeffs)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("eltwise_param") { e in
            e.identifier("operation", operation.rawValue)
            for c in coeff { e.float("coeff", c) }
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "Eltwise", arguments: (name.isEmpty ? ["\"\""] : name) + [operation.source]
                    + layer.bottoms.map(SwiftLiteral.string) + (coeff.isEmpty ? [] : ["coeff: \(SwiftLiteral.floats(coeff))"]),
                    bottomsInConstructor: true)
    }
}
