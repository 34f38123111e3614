/// Per-parameter settings of a layer, as Caffe's `param { name lr_mult decay_mult }`.
public struct ParamSpec: Codable, Equatable, Sendable {
    /// Layers whose params carry the same name share one blob (weight sharing).
    public var name: String?
    public var lrMult: Float
    public var decayMult: Float

    public init(name: String? = nil, lrMult: Float = 1, decayMult: Float = 1) {
        self.name = name
        self.lrMult = lrMult
        self.decayMult = decayMult
    }
}
