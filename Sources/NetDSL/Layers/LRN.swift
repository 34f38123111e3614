/// Local response normalisation across channels (Caffe's ACROSS_CHANNELS).
public struct LRNParams: Codable, Equatable, Sendable {
    public var localSize = 5
    public var alpha: Float = 1
    public var beta: Float = 0.75
    public var k: Float = 1
    public init() {}
}

/// Local response normalisation across channels:
/// y = x / (k + alpha/size * sum of x^2 over `size` neighbouring channels)^beta.
public struct LRN: NetLayer {
    public var base: LayerSpec
    public var params: LRNParams
    public var kind: LayerKind { .lrn(params) }

    public init(_ name: String = "", size: Int = 5, alpha: Float = 1, beta: Float = 0.75, k: Float = 1,
                fileID: String = #fileID, line: Int = #line) {
        var p = LRNParams()
        p.localSize = size
        p.alpha = alpha
        p.beta = beta
        p.k = k
        params = p
        base = baseSpec(name, .lrn(p), fileID, line)
    }
}

extension LRNParams: LayerKindDeclaration {
    public static let typeName = "LRN"
    public static let settingsKey = "lrn_param"
    public static let nameStem = "norm"
    public static let traits = LayerTraits.plain
    public var kind: LayerKind { .lrn(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> LRNParams? {
        var p = LRNParams()
        guard let lf = layer.message("lrn_param") else { return p }
        if lf.identifier("norm_region") == "WITHIN_CHANNEL" {
            lf.unsupported("norm_region", "Crema's LRN normalises across channels only; remove it or use ACROSS_CHANNELS")
        }
        lf.ignoresEngine()
        p.localSize = lf.count("local_size") ?? 5
        p.alpha = lf.float("alpha") ?? 1
        p.beta = lf.float("beta") ?? 0.75
        p.k = lf.float("k") ?? 1
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("lrn_param") { c in
            c.int("local_size", localSize)
            c.float("alpha", alpha)
            c.float("beta", beta)
            c.float("k", k)
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        let f = SwiftLiteral.float
        return LayerSource(head: "LRN", arguments: name + ["size: \(SwiftLiteral.int(localSize))", "alpha: \(f(alpha))",
                                                           "beta: \(f(beta))"] + (k != 1 ? ["k: \(f(k))"] : []))
    }
}
