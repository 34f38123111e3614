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
}
