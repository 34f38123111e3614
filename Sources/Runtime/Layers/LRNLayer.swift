import Foundation
import NetDSL

/// Caffe's LRN across channels: scale = k + alpha / size * (sum of x^2 over the `localSize`
/// channels centred on this one, zero beyond the edges), and top = x * scale^-beta.
///
/// The window sums slide along the channels (add the channel entering, subtract the one
/// leaving) in Caffe's order, so they match Caffe's CPU kernel; only the power differs, by an
/// ulp or so, where beta is 0.75 and square roots stand in for `pow`.
final class LRNLayer: Layer {
    let spec: LayerSpec
    let params: LRNParams

    /// `scale` for every input value, kept from forward for backward.
    private let scale = Buffer(capacity: 1)
    /// Backward's working planes, per image.
    private let scratch = Buffer(capacity: 1)
    private var num = 0, channels = 0, plane = 0

    init(spec: LayerSpec, params: LRNParams) {
        self.spec = spec
        self.params = params
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
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
        Parallel.forEach(num, work: bottoms[0].count * 16) { n in
            let base = n * C * HW
            let xs = x + base, ss = s + base, ys = y + base
            // Each channel's scale plane is the previous one plus the square entering the window
            // minus the one leaving it; its output follows while the plane is in cache.
            for c in 0..<C {
                let cur = ss + c * HW
                if c == 0 {
                    cur.update(repeating: k, count: HW)
                    for j in 0..<min(pre + 1, C) {
                        let xj = xs + j * HW
                        for i in 0..<HW { cur[i] += a * (xj[i] * xj[i]) }
                    }
                } else {
                    let prev = UnsafePointer(cur - HW)
                    let head: UnsafePointer<Float>? = c + pre < C ? UnsafePointer(xs + (c + pre) * HW) : nil
                    let tail: UnsafePointer<Float>? = c - pre - 1 >= 0 ? UnsafePointer(xs + (c - pre - 1) * HW) : nil
                    switch (head, tail) {
                    case let (h?, t?):
                        for i in 0..<HW { cur[i] = (prev[i] + a * (h[i] * h[i])) - a * (t[i] * t[i]) }
                    case let (h?, nil):
                        for i in 0..<HW { cur[i] = prev[i] + a * (h[i] * h[i]) }
                    case let (nil, t?):
                        for i in 0..<HW { cur[i] = prev[i] - a * (t[i] * t[i]) }
                    case (nil, nil):
                        cur.update(from: prev, count: HW)
                    }
                }
                let xc = xs + c * HW, yc = ys + c * HW
                negativePower(cur, yc, HW)
                for i in 0..<HW { yc[i] *= xc[i] }
            }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let (C, HW, size) = (channels, plane, params.localSize)
        // Per image: `size` planes of ratios (a ring over the window) and the window's sum.
        let perImage = (size + 1) * HW
        scratch.reserve(num * perImage)
        let x = bottoms[0].data, dx = bottoms[0].diff
        let y = tops[0].data, dy = tops[0].diff
        let s = scale.pointer, work = scratch.pointer
        let pre = (size - 1) / 2
        let factor = Float(2 * Double(params.alpha) * Double(params.beta) / Double(size))
        Parallel.forEach(num, work: bottoms[0].count * 16) { n in
            let base = n * C * HW
            let xs = x + base, dxs = dx + base, ys = y + base, dys = dy + base, ss = s + base
            let ring = work + n * perImage, accum = ring + size * HW
            /// Adds channel j's `top_diff * top / scale` to the window sum, keeping it for removal.
            func enter(_ j: Int) {
                let r = ring + (j % size) * HW
                let d = dys + j * HW, t = ys + j * HW, sc = ss + j * HW
                for i in 0..<HW {
                    r[i] = d[i] * t[i] / sc[i]
                    accum[i] += r[i]
                }
            }
            accum.update(repeating: 0, count: HW)
            for j in 0..<min(pre, C) { enter(j) }
            for c in 0..<C {
                if c + pre < C { enter(c + pre) }
                let xc = xs + c * HW, dxc = dxs + c * HW, dyc = dys + c * HW
                negativePower(ss + c * HW, dxc, HW)
                for i in 0..<HW { dxc[i] = dyc[i] * dxc[i] - factor * (xc[i] * accum[i]) }
                if c - pre >= 0 {
                    let r = ring + ((c - pre) % size) * HW
                    for i in 0..<HW { accum[i] -= r[i] }
                }
            }
        }
    }
}
