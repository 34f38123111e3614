import Foundation
import NetDSL

/// Caffe's LRN across channels: `scale = k + alpha / size * (sum of x^2 over the `size`
/// channels centred on this one, zero beyond the edges)` and `top = x * scale^-beta`.
///
/// The window sums slide along the channels (add the channel entering, subtract the one
/// leaving) in Caffe's order, so results match Caffe's CPU kernels.
final class LRNLayer: Layer {
    let spec: LayerSpec
    let params: LRNParams

    /// `scale` for every input value, kept from forward for backward.
    private let scale = Buffer(capacity: 1)
    /// Backward's `top_diff * top / scale`, then one running window sum per image.
    private let scratch = Buffer(capacity: 1)
    private var num = 0, channels = 0, plane = 0

    init(spec: LayerSpec, params: LRNParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard bottoms.count == 1, tops.count == 1 else {
            throw LayerError(spec, "takes one input and one output, not \(bottoms.count) and \(tops.count)")
        }
        guard params.localSize > 0, params.localSize % 2 == 1 else {
            throw LayerError(spec, "local_size \(params.localSize) must be a positive odd number (the window is centred on each channel)")
        }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let bottom = bottoms[0], top = tops[0]
        let shape = bottom.shape
        guard top !== bottom else { throw LayerError(spec, "cannot run in place; give it its own output") }
        guard shape.count == 4 else {
            throw LayerError(spec, "input is \(shapeText(shape)) but LRN needs 4 axes (num x channels x height x width)")
        }
        (num, channels, plane) = (shape[0], shape[1], shape[2] * shape[3])
        top.reshape(shape)
        scale.reserve(bottom.count)
    }

    /// `dst[i] = src[i]^-beta`, with a faster exact-enough form for Caffe's usual beta 0.75.
    private func negativePower(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ n: Int) {
        let beta = params.beta
        if beta == 0.75 {
            for i in 0..<n {
                let r = src[i].squareRoot()
                dst[i] = 1 / (r * r.squareRoot())
            }
        } else {
            for i in 0..<n { dst[i] = Foundation.pow(src[i], -beta) }
        }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let x = bottoms[0].data, y = tops[0].data, s = scale.pointer
        let (C, HW, size) = (channels, plane, params.localSize)
        let pre = (size - 1) / 2
        let a = params.alpha / Float(size)
        let k = params.k
        Parallel.forEach(num, work: bottoms[0].count * (size + 8)) { n in
            let base = n * C * HW
            let xs = x + base, ss = s + base, ys = y + base
            ss.update(repeating: k, count: HW)
            for j in 0..<min(pre + 1, C) {
                let xj = xs + j * HW
                for i in 0..<HW { ss[i] += a * (xj[i] * xj[i]) }
            }
            if C > 1 {
                for c in 1..<C {
                    let cur = ss + c * HW
                    cur.update(from: cur - HW, count: HW)
                    if c + pre < C {
                        let head = xs + (c + pre) * HW
                        for i in 0..<HW { cur[i] += a * (head[i] * head[i]) }
                    }
                    if c - pre - 1 >= 0 {
                        let tail = xs + (c - pre - 1) * HW
                        for i in 0..<HW { cur[i] -= a * (tail[i] * tail[i]) }
                    }
                }
            }
            negativePower(ss, ys, C * HW)
            for i in 0..<(C * HW) { ys[i] *= xs[i] }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let count = bottoms[0].count
        scratch.reserve(count + num * plane)
        let x = bottoms[0].data, dx = bottoms[0].diff
        let y = tops[0].data, dy = tops[0].diff
        let s = scale.pointer, ratioAll = scratch.pointer, accumAll = scratch.pointer + count
        let (C, HW, size) = (channels, plane, params.localSize)
        let pre = (size - 1) / 2
        let factor = Float(2 * Double(params.alpha) * Double(params.beta) / Double(size))
        Parallel.forEach(num, work: count * (size + 8)) { n in
            let base = n * C * HW
            let xs = x + base, dxs = dx + base, ys = y + base, dys = dy + base, ss = s + base
            let ratio = ratioAll + base, accum = accumAll + n * HW
            negativePower(ss, dxs, C * HW)
            for i in 0..<(C * HW) {
                dxs[i] = dys[i] * dxs[i]
                ratio[i] = dys[i] * ys[i] / ss[i]
            }
            accum.update(repeating: 0, count: HW)
            for j in 0..<min(pre, C) {
                let r = ratio + j * HW
                for i in 0..<HW { accum[i] += r[i] }
            }
            for c in 0..<C {
                if c + pre < C {
                    let head = ratio + (c + pre) * HW
                    for i in 0..<HW { accum[i] += head[i] }
                }
                let xc = xs + c * HW, dxc = dxs + c * HW
                for i in 0..<HW { dxc[i] -= factor * (xc[i] * accum[i]) }
                if c - pre >= 0 {
                    let tail = ratio + (c - pre) * HW
                    for i in 0..<HW { accum[i] -= tail[i] }
                }
            }
        }
    }
}
