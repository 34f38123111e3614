import Foundation
import NetDSL
import Testing
@testable import Runtime

/// Caffe's LRN CPU kernel written out plainly in Swift (padded squares, window sums sliding over
/// the channels, ratios summed over the window in backward), in every variant the processor
/// runs, and with a batch of one, whose positions are split over the threads.
@Suite(.serialized) struct LRNKernelTests {
    private static func reference(x: [Float], dy: [Float], n: Int, c: Int, hw: Int, size: Int, alpha: Float,
                                  beta: Float, k: Float) -> (y: [Float], dx: [Float]) {
        let pre = (size - 1) / 2
        let a = alpha / Float(size)
        var y = [Float](repeating: 0, count: x.count), dx = y, scale = y
        for img in 0..<n {
            let base = img * c * hw
            for i in 0..<hw {
                var window: Float = k
                for j in 0..<min(pre + 1, c) { window += a * (x[base + j * hw + i] * x[base + j * hw + i]) }
                for ch in 0..<c {
                    if ch > 0 {
                        let head = ch + pre < c ? x[base + (ch + pre) * hw + i] : 0
                        let tail = ch - pre - 1 >= 0 ? x[base + (ch - pre - 1) * hw + i] : 0
                        window = (window + a * (head * head)) - a * (tail * tail)
                    }
                    scale[base + ch * hw + i] = window
                    y[base + ch * hw + i] = x[base + ch * hw + i] * powf(window, -beta)
                }
                let factor = Float(2 * Double(alpha) * Double(beta) / Double(size))
                for ch in 0..<c {
                    var sum: Float = 0
                    for j in max(0, ch - pre)...min(c - 1, ch + pre) {
                        let at = base + j * hw + i
                        sum += dy[at] * y[at] / scale[at]
                    }
                    let at = base + ch * hw + i
                    dx[at] = dy[at] * powf(scale[at], -beta) - factor * (x[at] * sum)
                }
            }
        }
        return (y, dx)
    }

    @Test(arguments: [(2, 7, 5, 5, Float(0.75)), (1, 16, 30, 5, 0.75), (1, 3, 25, 7, 0.6), (3, 9, 2, 3, 0.75)])
    func matchesCaffesKernel(n: Int, c: Int, h: Int, size: Int, beta: Float) throws {
        let w = h + 1
        var rng = RandomGenerator(seed: UInt64(n * 100 + c))
        let x = Tensor(shape: [n, c, h, w])
        for i in 0..<x.count { x.data[i] = rng.uniform(-3, 3) }
        let dy = (0..<x.count).map { _ in rng.uniform(-1, 1) }
        let (alpha, k): (Float, Float) = (0.5, 2)
        let expected = Self.reference(x: x.values, dy: dy, n: n, c: c, hw: h * w, size: size, alpha: alpha,
                                      beta: beta, k: k)
        let saved = KernelVariant.current
        defer { KernelVariant.current = saved }
        for variant in KernelVariant.supported {
            KernelVariant.current = variant
            var p = LRNParams()
            (p.localSize, p.alpha, p.beta, p.k) = (size, alpha, beta, k)
            let layer = LRNLayer(spec: LayerSpec(name: "norm", kind: .lrn(p)), params: p)
            let y = Tensor()
            try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
            try layer.reshape(bottoms: [x], tops: [y])
            try layer.forward(bottoms: [x], tops: [y])
            for i in 0..<y.count { y.diff[i] = dy[i] }
            layer.backward(tops: [y], propagateDown: [true], bottoms: [x])
            let forwardError = zip(y.values, expected.y).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            let backwardError = zip(x.gradients, expected.dx).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(forwardError < 2e-6, "\(variant): forward differs by \(forwardError)")
            #expect(backwardError < 2e-6, "\(variant): backward differs by \(backwardError)")
        }
    }
}
