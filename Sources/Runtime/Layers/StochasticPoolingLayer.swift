import NetDSL

/// Caffe's STOCHASTIC pooling (Zeiler and Fergus), with Caffe's windows: no padding, the
/// output size rounded as the layer says, and a last window clipped to the input.
///
/// TRAIN: each window draws `r` uniform in [0, 1) and gives its first value at which the
/// running sum reaches `r` times the window's sum, so a value is chosen with probability
/// proportional to it (inputs are meant to be non-negative, after a ReLU); the gradient goes
/// back to the chosen value. TEST: each window gives sum(x^2) / (FLT_MIN + sum(x)), the values
/// weighted by those probabilities, and its gradient is that ratio's derivative,
/// (2 x - y) / (FLT_MIN + sum(x)), which Caffe leaves undefined.
final class StochasticPoolingLayer: Layer, DrawsRandomNumbers {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: PoolingParams
    let phase: Phase
    /// One draw per output in order, so results do not depend on threads; snapshots keep it.
    var random: RandomGenerator

    private var kernelH = 0, kernelW = 0
    private var height = 0, width = 0
    private var pooledH = 0, pooledW = 0
    /// TRAIN: the index within its input plane of each output's chosen value.
    private var chosen: [Int32] = []

    init(spec: LayerSpec, params: PoolingParams, phase: Phase, random: RandomGenerator) {
        self.spec = spec
        self.params = params
        self.phase = phase
        self.random = random
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        let p = params
        guard p.strideH > 0, p.strideW > 0 else {
            throw LayerError(spec, "stride \(p.strideH)x\(p.strideW) must be positive in both dimensions")
        }
        guard p.padH == 0, p.padW == 0 else {
            throw LayerError(spec, "STOCHASTIC pooling takes no padding (Caffe pads only MAX and AVE), not pad \(p.padH)x\(p.padW)")
        }
        if p.globalPooling {
            guard p.strideH == 1, p.strideW == 1 else {
                throw LayerError(spec, "global pooling takes stride 1, not \(p.strideH)x\(p.strideW)")
            }
        } else {
            guard p.kernelH > 0, p.kernelW > 0 else {
                throw LayerError(spec, "kernel \(p.kernelH)x\(p.kernelW) must be positive in both dimensions")
            }
        }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape, p = params
        guard tops[0] !== bottoms[0] else { throw LayerError(spec, "cannot run in place; give it its own output") }
        guard shape.count == 4 else {
            throw LayerError(spec, "input is \(shapeText(shape)) but pooling needs 4 axes (num x channels x height x width)")
        }
        (height, width) = (shape[2], shape[3])
        (kernelH, kernelW) = p.globalPooling ? (height, width) : (p.kernelH, p.kernelW)
        guard height >= kernelH, width >= kernelW else {
            throw LayerError(spec, "kernel \(kernelH)x\(kernelW) is larger than the input \(shapeText(shape))")
        }
        pooledH = PoolingLayer.pooledSize(input: height, kernel: kernelH, stride: p.strideH, pad: 0, rounding: p.rounding)
        pooledW = PoolingLayer.pooledSize(input: width, kernel: kernelW, stride: p.strideW, pad: 0, rounding: p.rounding)
        guard (pooledH - 1) * p.strideH < height, (pooledW - 1) * p.strideW < width else {
            throw LayerError(spec, "the last \(kernelH)x\(kernelW) window with stride \(p.strideH)x\(p.strideW) would start outside the input \(shapeText(shape)); use a stride no larger than the kernel or another input size")
        }
        tops[0].reshape([shape[0], shape[1], pooledH, pooledW])
        if phase == .train && chosen.count < tops[0].count {
            chosen = [Int32](repeating: 0, count: tops[0].count)
        }
    }

    /// The input rows and columns of output (ph, pw): Caffe's windows, clipped to the input.
    private func window(_ ph: Int, _ pw: Int) -> (rows: Range<Int>, columns: Range<Int>) {
        let hs = ph * params.strideH, ws = pw * params.strideW
        return (hs..<min(hs + kernelH, height), ws..<min(ws + kernelW, width))
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let planes = bottoms[0].count(from: 0, to: 2)
        let inPlane = height * width, outPlane = pooledH * pooledW
        let x = bottoms[0].data, y = tops[0].data
        switch phase {
        case .train:
            var rng = random
            chosen.withUnsafeMutableBufferPointer { buffer in
                // reshape sized it to the output.
                guard let index = buffer.baseAddress else { return }
                for p in 0..<planes {
                    let src = x + p * inPlane
                    for ph in 0..<pooledH {
                        for pw in 0..<pooledW {
                            let (rows, columns) = window(ph, pw)
                            var sum: Float = 0
                            for h in rows { for w in columns { sum += src[h * width + w] } }
                            let threshold = rng.uniform() * sum
                            // The window's last value when rounding keeps the running sum below.
                            var pick = (rows.upperBound - 1) * width + columns.upperBound - 1
                            var running: Float = 0
                            search: for h in rows {
                                for w in columns {
                                    running += src[h * width + w]
                                    if running >= threshold {
                                        pick = h * width + w
                                        break search
                                    }
                                }
                            }
                            let o = p * outPlane + ph * pooledW + pw
                            index[o] = Int32(truncatingIfNeeded: pick)
                            y[o] = src[pick]
                        }
                    }
                }
            }
            random = rng
        case .test:
            Parallel.forEach(planes, work: tops[0].count * kernelH * kernelW) { p in
                let src = x + p * inPlane
                for ph in 0..<pooledH {
                    for pw in 0..<pooledW {
                        let (rows, columns) = window(ph, pw)
                        var sum = Float.leastNormalMagnitude, squares: Float = 0
                        for h in rows {
                            for w in columns {
                                let v = src[h * width + w]
                                sum += v
                                squares += v * v
                            }
                        }
                        y[p * outPlane + ph * pooledW + pw] = squares / sum
                    }
                }
            }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let planes = bottoms[0].count(from: 0, to: 2)
        let inPlane = height * width, outPlane = pooledH * pooledW
        let x = bottoms[0].data, dx = bottoms[0].diff, y = tops[0].data, dy = tops[0].diff
        dx.update(repeating: 0, count: bottoms[0].count)
        switch phase {
        case .train:
            chosen.withUnsafeBufferPointer { buffer in
                guard let index = buffer.baseAddress else { return }
                for p in 0..<planes {
                    for o in 0..<outPlane {
                        dx[p * inPlane + Int(index[p * outPlane + o])] += dy[p * outPlane + o]
                    }
                }
            }
        case .test:
            Parallel.forEach(planes, work: tops[0].count * kernelH * kernelW) { p in
                let src = x + p * inPlane, dst = dx + p * inPlane
                for ph in 0..<pooledH {
                    for pw in 0..<pooledW {
                        let o = p * outPlane + ph * pooledW + pw
                        let (rows, columns) = window(ph, pw)
                        var sum = Float.leastNormalMagnitude
                        for h in rows { for w in columns { sum += src[h * width + w] } }
                        let share = dy[o] / sum
                        for h in rows {
                            for w in columns { dst[h * width + w] += share * (2 * src[h * width + w] - y[o]) }
                        }
                    }
                }
            }
        }
    }
}
