import Foundation
import NetDSL

/// Caffe's BatchNorm over axis 1 of an N x C x ... blob: each channel normalised by the batch's
/// mean and (biased) variance while training, which also updates the stored sums
/// (blob 0 += mean, blob 1 += m/(m-1) variance, blob 2 += 1, each first times
/// `moving_average_fraction`), and by the stored averages (sum / blob 2) with global
/// statistics: by default in TEST, as Caffe does. Works in place.
final class BatchNormLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: BatchNormParams
    let useGlobalStats: Bool
    private(set) var parameters: [Tensor] = []
    private var channels = 1
    /// 1 / sqrt(variance + eps) per channel, from the last forward pass.
    private var inverseStd: [Float] = []

    init(spec: LayerSpec, params: BatchNormParams, phase: Phase) {
        self.spec = spec
        self.params = params
        useGlobalStats = params.useGlobalStats ?? (phase == .test)
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        let shape = bottoms[0].shape
        channels = shape.count > 1 ? shape[1] : 1
        guard channels > 0, bottoms[0].count > 0 else {
            throw LayerError(spec, "cannot normalise an empty input \(shapeText(shape))")
        }
        parameters = try [[channels], [channels], [1]].enumerated().map { i, blobShape in
            try store.parameter(for: spec, index: i, shape: blobShape, filler: .constant(0), learned: false)
        }
        inverseStd = Array(repeating: 1, count: channels)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape
        guard (shape.count > 1 ? shape[1] : 1) == channels else {
            throw LayerError(spec, "input \(shapeText(shape)) must keep the \(channels) channels its statistics were made for")
        }
        if tops[0] !== bottoms[0] { tops[0].reshape(like: bottoms[0]) }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let bottom = bottoms[0], c = channels
        let num = bottom.num, spatial = bottom.count / max(num * c, 1)
        let x = bottom.data, y = tops[0].data
        var mean = [Float](repeating: 0, count: c), variance = [Float](repeating: 0, count: c)
        if useGlobalStats {
            let factor = parameters[2].data[0]
            let scale: Float = factor == 0 ? 0 : 1 / factor
            for k in 0..<c {
                mean[k] = scale * parameters[0].data[k]
                variance[k] = scale * parameters[1].data[k]
            }
        } else {
            let m = Double(num * spatial)
            mean.withUnsafeMutableBufferPointer { meanOut in
                variance.withUnsafeMutableBufferPointer { varOut in
                    let meanP = meanOut.baseAddress!, varP = varOut.baseAddress!
                    Parallel.forEachChunk(c, grain: 1) { channels in
                        for k in channels {
                            var sum: Double = 0
                            for n in 0..<num {
                                let row = x + (n * c + k) * spatial
                                for i in 0..<spatial { sum += Double(row[i]) }
                            }
                            let mu = sum / m
                            var squares: Double = 0
                            for n in 0..<num {
                                let row = x + (n * c + k) * spatial
                                for i in 0..<spatial { let d = Double(row[i]) - mu; squares += d * d }
                            }
                            meanP[k] = Float(mu)
                            varP[k] = Float(squares / m)
                        }
                    }
                }
            }
            let fraction = params.movingAverageFraction
            let correction: Float = m > 1 ? Float(m / (m - 1)) : 1
            let sums = parameters[0].data, squares = parameters[1].data, factor = parameters[2].data
            factor[0] = factor[0] * fraction + 1
            for k in 0..<c {
                sums[k] = sums[k] * fraction + mean[k]
                squares[k] = squares[k] * fraction + correction * variance[k]
            }
        }
        for k in 0..<c { inverseStd[k] = 1 / (variance[k] + params.eps).squareRoot() }
        let inv = inverseStd
        inv.withUnsafeBufferPointer { invP in
            mean.withUnsafeBufferPointer { meanP in
                let invs = invP.baseAddress!, mus = meanP.baseAddress!
                Parallel.forEachChunk(num * c, grain: max(1, 8_192 / max(spatial, 1))) { planes in
                    for plane in planes {
                        let k = plane % c, mu = mus[k], s = invs[k]
                        let src = x + plane * spatial, dst = y + plane * spatial
                        for i in 0..<spatial { dst[i] = (src[i] - mu) * s }
                    }
                }
            }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let top = tops[0], c = channels
        let num = top.num, spatial = top.count / max(num * c, 1)
        let y = top.data, dy = top.diff, dx = bottoms[0].diff
        let inv = inverseStd
        if useGlobalStats {
            inv.withUnsafeBufferPointer { invP in
                let invs = invP.baseAddress!
                Parallel.forEachChunk(num * c, grain: max(1, 8_192 / max(spatial, 1))) { planes in
                    for plane in planes {
                        let s = invs[plane % c], g = dy + plane * spatial, out = dx + plane * spatial
                        for i in 0..<spatial { out[i] = g[i] * s }
                    }
                }
            }
            return
        }
        // dx = (dy - mean(dy) - y mean(dy y)) / sqrt(var + eps), the means per channel; y is the
        // normalised output, which in place is still the blob's data.
        let m = Double(num * spatial)
        inv.withUnsafeBufferPointer { invP in
            let invs = invP.baseAddress!
            Parallel.forEachChunk(c, grain: 1) { channels in
                for k in channels {
                    var sumDy: Double = 0, sumDyY: Double = 0
                    for n in 0..<num {
                        let base = (n * c + k) * spatial
                        for i in 0..<spatial {
                            sumDy += Double(dy[base + i])
                            sumDyY += Double(dy[base + i]) * Double(y[base + i])
                        }
                    }
                    let meanDy = Float(sumDy / m), meanDyY = Float(sumDyY / m), s = invs[k]
                    for n in 0..<num {
                        let base = (n * c + k) * spatial
                        for i in 0..<spatial {
                            dx[base + i] = (dy[base + i] - meanDy - y[base + i] * meanDyY) * s
                        }
                    }
                }
            }
        }
    }
}
