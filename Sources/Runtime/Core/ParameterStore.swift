import NetDSL

/// One learnable blob with the multipliers the solver applies to it.
public final class Parameter {
    /// `layer.index`, or the share name the recipe gave it.
    public let key: String
    /// The layer that created it (the owner, when shared).
    public let layerName: String
    public let index: Int
    public let tensor: Tensor
    public var lrMult: Float
    public var decayMult: Float
    /// False for statistics a layer keeps (BatchNorm's mean and variance): no gradient, and
    /// replicas training together average the values rather than the gradients.
    public let learned: Bool

    init(key: String, layerName: String, index: Int, tensor: Tensor, lrMult: Float, decayMult: Float, learned: Bool = true) {
        self.key = key
        self.learned = learned
        self.layerName = layerName
        self.index = index
        self.tensor = tensor
        self.lrMult = lrMult
        self.decayMult = decayMult
    }
}

/// Every learnable blob of a model, shared between its TRAIN and TEST graphs and between layers
/// that name the same parameter. Creation order is the solver's (and the snapshot's) order.
public final class ParameterStore {
    public private(set) var parameters: [Parameter] = []
    private var byKey: [String: Parameter] = [:]
    /// Draws the initial values; seeded from the solver's random seed.
    public var random: RandomGenerator

    /// Counts announced changes of the values (`Graph.parametersChanged()`), so that every
    /// graph sharing the store learns of a change announced through one of them.
    public private(set) var generation = 0

    public init(seed: UInt64 = 1701) { random = RandomGenerator(seed: seed) }

    func noteChange() { generation &+= 1 }

    /// The blob for parameter `index` of `layer`, created and filled on first request. A shared
    /// or already created blob must have the same shape. A blob that is not `learned` (BatchNorm's
    /// statistics) gets multipliers of 0, so the solver leaves it alone; asking to learn it is
    /// an error, as in Caffe.
    public func parameter(for layer: LayerSpec, index: Int, shape: [Int], filler: Filler,
                          learned: Bool = true) throws -> Tensor {
        var spec = layer.param(index)
        if !learned {
            if index < layer.params.count && spec.lrMult != 0 {
                throw LayerError(layer, "blob \(index) holds statistics, not a learned parameter: its lr_mult must be 0 (or leave its param out)")
            }
            spec.lrMult = 0
            spec.decayMult = 0
        }
        let key = spec.name ?? "\(layer.name).\(index)"
        if let existing = byKey[key] {
            guard existing.tensor.shape == shape else {
                throw LayerError(layer, "parameter '\(key)' is \(shapeText(existing.tensor.shape)) where it was created but this layer needs \(shapeText(shape)); shared parameters must have the same shape")
            }
            return existing.tensor
        }
        let tensor = Tensor(shape: shape)
        fill(tensor, with: filler)
        let p = Parameter(key: key, layerName: layer.name, index: index, tensor: tensor,
                          lrMult: spec.lrMult, decayMult: spec.decayMult, learned: learned)
        parameters.append(p)
        byKey[key] = p
        return tensor
    }

    public func parameter(named key: String) -> Parameter? { byKey[key] }

    /// Caffe's fillers; fan in is count/num (inputs per output), fan out count/channels.
    public func fill(_ tensor: Tensor, with filler: Filler) {
        let n = tensor.count
        let fanIn = n / max(tensor.shape.first ?? 1, 1)
        let fanOut = tensor.shape.count > 1 ? n / max(tensor.shape[1], 1) : n
        let p = tensor.data
        func fan(_ norm: Filler.VarianceNorm) -> Float {
            switch norm {
            case .fanIn: Float(fanIn)
            case .fanOut: Float(fanOut)
            case .average: Float(fanIn + fanOut) / 2
            }
        }
        switch filler {
        case .constant(let v):
            p.update(repeating: v, count: n)
        case .gaussian(let mean, let std):
            for i in 0..<n { p[i] = random.gaussian(mean: mean, std: std) }
        case .uniform(let lo, let hi):
            for i in 0..<n { p[i] = random.uniform(lo, hi) }
        case .xavier(let norm):
            let scale = (3 / fan(norm)).squareRoot()
            for i in 0..<n { p[i] = random.uniform(-scale, scale) }
        case .msra(let norm):
            let std = (2 / fan(norm)).squareRoot()
            for i in 0..<n { p[i] = random.gaussian(mean: 0, std: std) }
        case .sparseGaussian(let mean, let std, let nonZero):
            let keep = Float(nonZero) / Float(max(tensor.shape.first ?? 1, 1))
            for i in 0..<n {
                let value = random.gaussian(mean: mean, std: std)
                p[i] = random.uniform(0, 1) < keep ? value : 0
            }
        case .bilinear:
            // Caffe's BilinearFiller: f = ceil(k / 2), centre c = (2f - 1 - f % 2) / (2f), each
            // weight the product of (1 - |x / f - c|) over its two kernel axes.
            let h = tensor.shape.count >= 2 ? tensor.shape[tensor.shape.count - 2] : 1
            let w = tensor.shape.last ?? 1
            let factor = Float((w + 1) / 2)
            let centre = (2 * factor - 1 - Float(Int(factor) % 2)) / (2 * factor)
            for i in 0..<n {
                let x = Float(i % w), y = Float((i / w) % h)
                p[i] = (1 - abs(x / factor - centre)) * (1 - abs(y / factor - centre))
            }
        case .positiveUnitball:
            for i in 0..<n { p[i] = random.uniform(0, 1) }
            let outputs = max(tensor.shape.first ?? 1, 1), per = n / outputs
            for o in 0..<outputs {
                var sum: Float = 0
                for i in 0..<per { sum += p[o * per + i] }
                if sum > 0 { for i in 0..<per { p[o * per + i] /= sum } }
            }
        }
    }
}
