public struct InnerProductParams: Codable, Equatable, Sendable {
    public var numOutput: Int
    public var biasTerm = true
    public var weightFiller: Filler = .constant(0)
    public var biasFiller: Filler = .constant(0)
    /// The first axis folded into the inner product; earlier axes are the batch.
    public var axis = 1
    /// Weights stored inputs x outputs rather than outputs x inputs (Caffe's `transpose`).
    public var transpose = false
    public init(numOutput: Int) { self.numOutput = numOutput }

    private enum CodingKeys: String, CodingKey { case numOutput, biasTerm, weightFiller, biasFiller, axis, transpose }

    /// Run records written before `transpose` was a setting have none: outputs x inputs.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        numOutput = try c.decode(Int.self, forKey: .numOutput)
        biasTerm = try c.decode(Bool.self, forKey: .biasTerm)
        weightFiller = try c.decode(Filler.self, forKey: .weightFiller)
        biasFiller = try c.decode(Filler.self, forKey: .biasFiller)
        axis = try c.decode(Int.self, forKey: .axis)
        transpose = try c.decodeIfPresent(Bool.self, forKey: .transpose) ?? false
    }
}

/// A fully connected layer: every input feature to `outputs` features.
public struct InnerProduct: NetLayer {
    public var base: LayerSpec
    public var params: InnerProductParams
    public var kind: LayerKind { .innerProduct(params) }

    public init(_ name: String = "", outputs: Int, bias: Bool = true,
                fileID: String = #fileID, line: Int = #line) {
        var p = InnerProductParams(numOutput: outputs)
        p.biasTerm = bias
        params = p
        base = baseSpec(name, .innerProduct(p), fileID, line)
    }

    public func weights(_ filler: Filler) -> Self { with { $0.params.weightFiller = filler } }
    public func bias(_ filler: Filler) -> Self { with { $0.params.biasFiller = filler } }
    /// Folds the axes from `axis` on into the inner product; earlier axes are the batch.
    public func axis(_ axis: Int) -> Self { with { $0.params.axis = axis } }
    /// Stores the weights inputs x outputs (Caffe's `transpose: true`).
    public func transposed(_ on: Bool = true) -> Self { with { $0.params.transpose = on } }
}

extension InnerProductParams: LayerKindDeclaration {
    public static let typeName = "InnerProduct"
    public static let settingsKey = "inner_product_param"
    public static let nameStem = "ip"
    public static let traits = LayerTraits.plain
    public var kind: LayerKind { .innerProduct(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { biasTerm ? [.weights, .bias] : [.weights] }

    public static func read(caffe layer: CaffeFields) -> InnerProductParams? {
        guard let pf = layer.message("inner_product_param") else {
            layer.problem(nil, "has no inner_product_param; add inner_product_param { num_output: ... }")
            return nil
        }
        let numOutput = pf.count("num_output") ?? 0
        guard numOutput > 0 else {
            pf.problem("num_output", "inner_product_param needs num_output greater than 0")
            return nil
        }
        guard let weights = Filler.read(caffe: pf.message("weight_filler")),
              let bias = Filler.read(caffe: pf.message("bias_filler")) else { return nil }
        var p = InnerProductParams(numOutput: numOutput)
        p.biasTerm = pf.bool("bias_term") ?? true
        p.axis = pf.int("axis") ?? 1
        p.transpose = pf.bool("transpose") ?? false
        p.weightFiller = weights
        p.biasFiller = bias
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("inner_product_param") { c in
            c.int("num_output", numOutput)
            c.bool("bias_term", biasTerm, unless: true)
            if weightFiller != .constant(0) { c.message("weight_filler", weightFiller.write(caffe:)) }
            if biasFiller != .constant(0) { c.message("bias_filler", biasFiller.write(caffe:)) }
            c.int("axis", axis, unless: 1)
            c.bool("transpose", transpose, unless: false)
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        var code = LayerSource(head: "InnerProduct", arguments: name + ["outputs: \(SwiftLiteral.int(numOutput))"]
                               + (biasTerm ? [] : ["bias: false"]))
        code.modifiers += RecipeSource.fillers(weightFiller, biasFiller)
        if axis != 1 { code.modifiers.append(".axis(\(SwiftLiteral.int(axis)))") }
        if transpose { code.modifiers.append(".transposed()") }
        return code
    }
}
