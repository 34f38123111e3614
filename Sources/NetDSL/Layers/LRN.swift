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
