import NetDSL

/// Caffe's Dropout: in TRAIN each value is kept with probability 1 - ratio and scaled by
/// 1 / (1 - ratio), so TEST is the identity.
final class DropoutLayer: Layer, DrawsRandomNumbers {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let ratio: Float
    let phase: Phase
    /// Draws the masks, one value per element in order, so results do not depend on threads.
    /// Snapshots save and restore it.
    var random: RandomGenerator
    /// The last TRAIN mask with the scale folded in: 0 for dropped values, 1 / (1 - ratio) for kept.
    private(set) var mask: [Float] = []

    init(spec: LayerSpec, params: DropoutParams, phase: Phase, random: RandomGenerator) {
        self.spec = spec
        ratio = params.ratio
        self.phase = phase
        self.random = random
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        guard ratio >= 0 && ratio < 1 else {
            throw LayerError(spec, "dropout ratio \(ratio) must be at least 0 and below 1 (it is the fraction of values dropped)")
        }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        if tops[0] !== bottoms[0] { tops[0].reshape(like: bottoms[0]) }
        if phase == .train && mask.count < bottoms[0].count {
            mask = [Float](repeating: 0, count: bottoms[0].count)
        }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let n = bottoms[0].count, x = bottoms[0].data, y = tops[0].data
        guard phase == .train else {
            if tops[0] !== bottoms[0] { y.update(from: x, count: n) }
            return
        }
        if mask.count < n { mask = [Float](repeating: 0, count: n) }
        let keep = 1 - ratio
        let scale = Float(1 / (1 - Double(ratio)))
        var rng = random
        mask.withUnsafeMutableBufferPointer { buffer in
            let m = buffer.baseAddress!
            // Sequential draws: the mask depends only on the generator's state.
            for i in 0..<n { m[i] = rng.uniform() < keep ? scale : 0 }
            Self.multiply(x, by: m, into: y, count: n)
        }
        random = rng
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let n = bottoms[0].count, dy = tops[0].diff, dx = bottoms[0].diff
        guard phase == .train else {
            if tops[0] !== bottoms[0] { dx.update(from: dy, count: n) }
            return
        }
        mask.withUnsafeBufferPointer { buffer in
            let m = buffer.baseAddress!
            Self.multiply(dy, by: m, into: dx, count: n)
        }
    }

    /// out = input * mask, elementwise; in place (one pointer) as its own loop, so that it
    /// vectorises (see ReLULayer).
    private static func multiply(_ input: UnsafeMutablePointer<Float>, by mask: UnsafePointer<Float>,
                                 into out: UnsafeMutablePointer<Float>, count n: Int) {
        if input == out {
            Parallel.forEachChunk(n) { r in
                for i in r { out[i] *= mask[i] }
            }
        } else {
            Parallel.forEachChunk(n) { r in
                for i in r { out[i] = input[i] * mask[i] }
            }
        }
    }
}
