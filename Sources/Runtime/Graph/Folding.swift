import NetDSL

/// A convolution followed in place by a BatchNorm on its stored statistics and, optionally, a
/// per-channel Scale, computed as one convolution whose weights and bias have both folded in:
/// w' = w a, b' = (b - mean) a + beta, a = gamma / sqrt(variance + eps). Used while a TEST
/// graph's parameters are fixed (classify, test, the trainer's TEST net); the layers
/// themselves stay as they are, and the graph runs them unfolded whenever the promise is off.
final class FoldedConvolution {
    /// Graph indices of the convolution, the BatchNorm, the Scale and an in-place ReLU after
    /// them that the folded convolution applies to its output (oneDNN's, where it runs).
    let convolution: Int, normalization: Int, scale: Int?
    private(set) var relu: Int?
    /// The Eltwise SUM after the convolution (and the ReLU after it) that the fold computes
    /// chunk by chunk as the convolution writes its output (`takeResidualSum`).
    var residual: ResidualSum?
    /// The folded convolution: the original's settings with a bias, on its own parameters.
    let kernel: Layer
    private let original: Layer, batchNorm: BatchNormLayer, scaleLayer: Layer?
    private let eps: Float
    /// The store generation the folded parameters were computed for.
    private var generation = -1

    init(convolution: Int, normalization: Int, scale: Int?, in graph: Graph, options: CompileOptions) throws {
        let layers = graph.layers
        guard case .convolution(var p) = layers[convolution].spec.kind,
              case .batchNorm(let bn) = layers[normalization].spec.kind,
              let batchNorm = layers[normalization] as? BatchNormLayer else {
            throw LayerError(layers[convolution].spec, "is not a convolution followed by a BatchNorm")
        }
        self.convolution = convolution
        self.normalization = normalization
        self.scale = scale
        original = layers[convolution]
        self.batchNorm = batchNorm
        scaleLayer = scale.map { layers[$0] }
        eps = bn.eps
        p.biasTerm = true
        let spec = original.spec
        kernel = try ConvolutionEngine.makeLayer(spec: spec, params: p, options: options)
        let io = graph.io(ofLayer: convolution)
        try kernel.setUp(bottoms: io.bottoms, tops: io.tops, store: ParameterStore())
        try kernel.reshape(bottoms: io.bottoms, tops: io.tops)
        (kernel as? ConvertsParameters)?.keepsConvertedWeights = true
    }

    /// Hands the ReLU at graph index `index` to the folded convolution when it is oneDNN's
    /// layer, which applies it (on its im2col path too); returns whether it did.
    func takeReLU(at index: Int, in graph: Graph) throws -> Bool {
        guard let fast = kernel as? OneDNNConvolutionLayer else { return false }
        fast.fusedReLU = true
        let io = graph.io(ofLayer: convolution)
        try fast.reshape(bottoms: io.bottoms, tops: io.tops)
        relu = index
        return true
    }

    /// Recomputes the folded parameters when the store's have changed since the last pass.
    func refresh(generation current: Int) {
        guard current != generation else { return }
        generation = current
        let weights = original.parameters[0], bias = original.parameters.count > 1 ? original.parameters[1] : nil
        let stats = batchNorm.parameters
        let channels = weights.shape[0], perOutput = weights.count / max(channels, 1)
        let factor = stats[2].data[0]
        let norm: Float = factor == 0 ? 0 : 1 / factor
        let gamma = scaleLayer.map { $0.parameters[0] }
        let beta = scaleLayer.flatMap { $0.parameters.count > 1 ? $0.parameters[1] : nil }
        let w = kernel.parameters[0].data, b = kernel.parameters[1].data
        for o in 0..<channels {
            let mean = norm * stats[0].data[o], variance = norm * stats[1].data[o]
            let a = (gamma?.data[o] ?? 1) / (variance + eps).squareRoot()
            for k in 0..<perOutput { w[o * perOutput + k] = weights.data[o * perOutput + k] * a }
            b[o] = ((bias?.data[o] ?? 0) - mean) * a + (beta?.data[o] ?? 0)
        }
        (kernel as? ConvertsParameters)?.dropConvertedWeights()
    }
}

/// The folds of one graph, by layer index.
struct FoldPlan {
    /// The fold whose convolution is layer i.
    var folded: [FoldedConvolution?]
    /// Layers whose forward pass a fold makes.
    var skipped: [Bool]

    /// Finds every convolution that a BatchNorm with stored statistics follows in place (and
    /// then, optionally, a per-channel Scale in place), with no other layer reading the blob
    /// in between. TEST graphs only: they never run backward, which would need the
    /// unfolded layers' own forward results.
    static func make(for graph: Graph, options: CompileOptions) throws -> FoldPlan {
        let layers = graph.layers
        var plan = FoldPlan(folded: Array(repeating: nil, count: layers.count),
                            skipped: Array(repeating: false, count: layers.count))
        guard graph.phase == .test else { return plan }
        /// The next layer after `i` that reads `blob`, if it reads it in place as its only input.
        func nextInPlace(after i: Int, _ blob: Tensor) -> Int? {
            guard let j = layers.indices[(i + 1)...].first(where: { graph.io(ofLayer: $0).bottoms.contains { $0 === blob } })
            else { return nil }
            let io = graph.io(ofLayer: j)
            return io.bottoms.count == 1 && io.tops.count == 1 && io.tops[0] === blob ? j : nil
        }
        for i in layers.indices {
            guard case .convolution = layers[i].spec.kind else { continue }
            let tops = graph.io(ofLayer: i).tops
            guard tops.count == 1, let j = nextInPlace(after: i, tops[0]),
                  let bn = layers[j] as? BatchNormLayer, bn.useGlobalStats else { continue }
            var scale: Int?
            if let k = nextInPlace(after: j, tops[0]), case .scale(let s) = layers[k].spec.kind,
               layers[k].parameters.first?.shape == [tops[0].shape[1]],
               (s.axis == 1 || s.axis == 1 - tops[0].shape.count) {
                scale = k
            }
            let fold = try FoldedConvolution(convolution: i, normalization: j, scale: scale, in: graph, options: options)
            plan.folded[i] = fold
            plan.skipped[j] = true
            if let scale { plan.skipped[scale] = true }
            if let r = nextInPlace(after: scale ?? j, tops[0]), let relu = layers[r] as? ReLULayer, relu.negativeSlope == 0,
               try fold.takeReLU(at: r, in: graph) {
                plan.skipped[r] = true
            }
            if let sum = ResidualSum.find(of: i, folded: [j, scale, fold.relu].compactMap { $0 }, in: graph) {
                fold.takeResidualSum(sum)
                plan.skipped[sum.eltwise] = true
                if let r = sum.relu { plan.skipped[r] = true }
            }
        }
        return plan
    }
}

extension Graph {
    /// Runs layer `i` forward, or its fold's convolution, or nothing for a folded-away layer.
    @inline(__always)
    func forwardLayer(_ i: Int) throws {
        if parametersFixed, let plan = foldPlan {
            if plan.skipped[i] { return }
            if let fold = plan.folded[i] {
                fold.refresh(generation: store.generation)
                try fold.forward(io(ofLayer: i))
                return
            }
        }
        try layers[i].forward(bottoms: bottoms[i], tops: tops[i])
    }

    /// Builds the folds the first time the parameters are fixed; a fold that cannot be built
    /// leaves the graph unfolded, with the reason in `foldingProblem`.
    func prepareFolds() {
        guard parametersFixed, foldPlan == nil, foldingProblem == nil, options.fuseLayers, phase == .test else { return }
        do {
            foldPlan = try FoldPlan.make(for: self, options: options)
        } catch {
            foldingProblem = "\(error)"
        }
    }

    /// BatchNorm, Scale, ReLU and residual Eltwise layers whose forward pass a convolution makes while the
    /// parameters are fixed, with that convolution's name, in net order.
    public var foldedLayers: [(name: String, into: String)] {
        guard parametersFixed, let plan = foldPlan else { return [] }
        return plan.folded.compactMap { $0 }.flatMap { fold in
            ([fold.normalization] + [fold.scale, fold.relu, fold.residual?.eltwise, fold.residual?.relu].compactMap { $0 }).map {
                (layers[$0].spec.name, layers[fold.convolution].spec.name)
            }
        }
    }
}
