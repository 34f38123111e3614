/// A layer as the DSL writes it: chainable modifiers over a `LayerSpec`.
public protocol NetLayer: NetContent {
    /// Everything but the kind's settings, which `kind` supplies.
    var base: LayerSpec { get set }
    var kind: LayerKind { get }
}

extension NetLayer {
    public var layerSpecs: [LayerSpec] {
        var spec = base
        spec.kind = kind
        return [spec]
    }

    /// The spec this layer contributes.
    public var spec: LayerSpec { layerSpecs[0] }

    /// Names the layer (and so, by default, its output blob).
    public func named(_ name: String) -> Self { with { $0.base.name = name } }

    /// Reads these blobs instead of the previous layer's output.
    public func inputs(_ names: String...) -> Self { with { $0.base.bottoms = names } }

    /// Writes these blobs instead of the default (its name, or its input when in place).
    public func outputs(_ names: String...) -> Self { with { $0.base.tops = names } }

    /// Per-parameter multipliers and share names, weights first then bias
    /// (Caffe's `param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }`).
    public func params(_ specs: ParamSpec...) -> Self { with { $0.base.params = specs } }

    /// Shorthand for `params`: weights at (lr, decay) and bias at (biasLR, biasDecay).
    public func lrMult(_ weights: Float, decay: Float = 1, bias: Float = 2, biasDecay: Float = 0) -> Self {
        with { $0.base.params = [ParamSpec(lrMult: weights, decayMult: decay),
                                 ParamSpec(lrMult: bias, decayMult: biasDecay)] }
    }

    /// Shares this layer's parameter blobs with every layer that uses the same names.
    public func sharing(_ names: String...) -> Self {
        with { layer in
            for (i, n) in names.enumerated() {
                while layer.base.params.count <= i { layer.base.params.append(ParamSpec()) }
                layer.base.params[i].name = n
            }
        }
    }

    /// Weight of this layer's first output in the net's loss.
    public func lossWeight(_ weight: Float) -> Self { with { $0.base.lossWeight = weight } }

    func with(_ change: (inout Self) -> Void) -> Self {
        var copy = self
        change(&copy)
        return copy
    }
}

func baseSpec(_ name: String, _ kind: LayerKind, _ fileID: String, _ line: Int) -> LayerSpec {
    LayerSpec(name: name, kind: kind, location: SourceLocation(fileID: fileID, line: line))
}
