import NetDSL
import Testing
@testable import Runtime

/// Finite-difference check of a layer's backward pass, as Caffe's GradientChecker does.
///
/// The objective is L = sum(top_k * R_k) for fixed random R, so dL/dtop = R; the analytic
/// gradients from `backward` are compared with central differences of L for every input value
/// (and every parameter value), within `threshold * max(|analytic|, |numeric|, 1)`.
struct GradientChecker {
    var stepsize: Float = 1e-2
    var threshold: Float = 1e-3
    /// Skip points within `kink` of a non-differentiable point (ReLU at 0, max pooling ties).
    var kink: Float? = nil
    var kinkRange: Float = -1
    var seed: UInt64 = 1701

    /// Checks gradients with respect to the bottoms listed in `checkBottoms` (all by default)
    /// and every parameter. Returns the number of values compared.
    @discardableResult
    func check(layer: Layer, bottoms: [Tensor], tops: [Tensor], checkBottoms: [Int]? = nil,
               checkParameters: Bool = true, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Int {
        try layer.setUp(bottoms: bottoms, tops: tops, store: ParameterStore(seed: seed))
        try layer.reshape(bottoms: bottoms, tops: tops)
        var rng = RandomGenerator(seed: seed &+ 1)
        let weights: [[Float]] = tops.map { t in (0..<t.count).map { _ in rng.uniform(-1, 1) } }

        func objective() throws -> Double {
            try layer.forward(bottoms: bottoms, tops: tops)
            var sum: Double = 0
            for (t, w) in zip(tops, weights) {
                for i in 0..<t.count { sum += Double(t.data[i]) * Double(w[i]) }
            }
            return sum
        }

        let which = checkBottoms ?? Array(bottoms.indices)
        // Analytic gradients.
        _ = try objective()
        for p in layer.parameters { p.zeroDiff() }
        // Bottoms first: a layer whose output shares its input's gradient (Flatten) must keep R.
        for b in bottoms { b.zeroDiff() }
        for (t, w) in zip(tops, weights) { for i in 0..<t.count { t.diff[i] = w[i] } }
        layer.backward(tops: tops, propagateDown: bottoms.indices.map { which.contains($0) }, bottoms: bottoms)

        var targets: [(String, Tensor)] = which.map { ("bottom \($0)", bottoms[$0]) }
        if checkParameters { targets += layer.parameters.enumerated().map { ("parameter \($0.offset)", $0.element) } }
        let analytic = targets.map { $0.1.gradients }

        var compared = 0
        for (t, (label, tensor)) in targets.enumerated() {
            for i in 0..<tensor.count {
                let original = tensor.data[i]
                if let kink, abs(original - kink) < kinkRange { continue }
                tensor.data[i] = original + stepsize
                let plus = try objective()
                tensor.data[i] = original - stepsize
                let minus = try objective()
                tensor.data[i] = original
                let numeric = Float((plus - minus) / (2 * Double(stepsize)))
                let a = analytic[t][i]
                let scale = max(abs(a), abs(numeric), 1)
                #expect(abs(a - numeric) <= threshold * scale,
                        "\(layer.spec.name) \(label)[\(i)]: analytic \(a) vs numeric \(numeric)",
                        sourceLocation: sourceLocation)
                compared += 1
            }
        }
        return compared
    }
}

/// Fills a tensor with values from a seeded generator.
func randomTensor(_ shape: [Int], seed: UInt64, range: ClosedRange<Float> = -1...1) -> Tensor {
    let t = Tensor(shape: shape)
    var rng = RandomGenerator(seed: seed)
    for i in 0..<t.count { t.data[i] = rng.uniform(range.lowerBound, range.upperBound) }
    return t
}

/// Sets `layer` up on `x` with parameters drawn from a store seeded `storeSeed`, runs it
/// forward, and fills its output's gradient from `gradientSeed`; returns the output.
func forwardWithSeededGradient(_ layer: Layer, on x: Tensor, storeSeed: UInt64, gradientSeed: UInt64) throws -> Tensor {
    let y = Tensor()
    try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore(seed: storeSeed))
    try layer.reshape(bottoms: [x], tops: [y])
    try layer.forward(bottoms: [x], tops: [y])
    let r = randomTensor(y.shape, seed: gradientSeed)
    y.diff.update(from: r.data, count: y.count)
    return y
}

/// Sets `layer` up on `x`, runs it forward, and runs backward twice with the same seeded output
/// gradient: the parameter and input gradients after each pass (parameters accumulate, the
/// input gradient is overwritten).
func backwardTwice(_ layer: Layer, on x: Tensor, storeSeed: UInt64, gradientSeed: UInt64) throws
    -> (params: [[Float]], paramsTwice: [[Float]], input: [Float], inputTwice: [Float]) {
    let y = try forwardWithSeededGradient(layer, on: x, storeSeed: storeSeed, gradientSeed: gradientSeed)
    layer.backward(tops: [y], propagateDown: [true], bottoms: [x])
    let once = layer.parameters.map(\.gradients), dx = x.gradients
    layer.backward(tops: [y], propagateDown: [true], bottoms: [x])
    return (once, layer.parameters.map(\.gradients), dx, x.gradients)
}

/// Checks `layer`'s parameter gradients by finite differences without propagating to `x`, then
/// runs backward with propagateDown false over an input gradient of 7s: how many values were
/// compared, and the input gradient afterwards (all 7 when left alone).
func parameterGradientsOnly(_ layer: Layer, on x: Tensor) throws -> (compared: Int, input: [Float]) {
    let y = Tensor()
    let compared = try GradientChecker().check(layer: layer, bottoms: [x], tops: [y], checkBottoms: [])
    for i in 0..<x.count { x.diff[i] = 7 }
    layer.backward(tops: [y], propagateDown: [false], bottoms: [x])
    return (compared, x.gradients)
}
