import NetDSL

/// Caffe's ReLU: top = max(x, 0) + negativeSlope * min(x, 0). Usually runs in place.
final class ReLULayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let negativeSlope: Float
    /// Only for in-place use with a negative slope, where the output no longer shows which
    /// inputs were positive: 1 where the input was > 0.
    private var positive: [Float] = []

    init(spec: LayerSpec, params: ReLUParams) {
        self.spec = spec
        negativeSlope = params.negativeSlope
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        if tops[0] !== bottoms[0] { tops[0].reshape(like: bottoms[0]) }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let x = bottoms[0].data, y = tops[0].data, n = bottoms[0].count
        let slope = negativeSlope
        if tops[0] === bottoms[0] && slope < 0 {
            if positive.count < n { positive = [Float](repeating: 0, count: n) }
            positive.withUnsafeMutableBufferPointer { mask in
                let m = mask.baseAddress!
                Parallel.forEachChunk(n) { r in
                    for i in r { m[i] = x[i] > 0 ? 1 : 0 }
                }
            }
        }
        // In place, the loop reads and writes one pointer: with two that are equal, the
        // compiler's overlap check sends the loop down its scalar path.
        if x == y {
            Parallel.forEachChunk(n) { r in
                for i in r {
                    let v = y[i]
                    y[i] = max(v, 0) + slope * min(v, 0)
                }
            }
        } else {
            Parallel.forEachChunk(n) { r in
                for i in r {
                    let v = x[i]
                    y[i] = max(v, 0) + slope * min(v, 0)
                }
            }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let dy = tops[0].diff, dx = bottoms[0].diff, n = bottoms[0].count
        let slope = negativeSlope
        if tops[0] === bottoms[0] && slope < 0 {
            positive.withUnsafeBufferPointer { mask in
                let m = mask.baseAddress!
                Parallel.forEachChunk(n) { r in
                    for i in r { dx[i] = dy[i] * (m[i] > 0 ? 1 : slope) }
                }
            }
            return
        }
        // In place with slope >= 0 the output has the input's sign, so reading it is exact.
        let x = bottoms[0].data
        if dx == dy {
            Parallel.forEachChunk(n) { r in
                for i in r { dx[i] *= x[i] > 0 ? 1 : slope }
            }
        } else {
            Parallel.forEachChunk(n) { r in
                for i in r { dx[i] = dy[i] * (x[i] > 0 ? 1 : slope) }
            }
        }
    }
}
