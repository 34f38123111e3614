import Foundation
import NetDSL
import Testing
@testable import Runtime

private func makeLRN(size: Int = 5, alpha: Float = 1, beta: Float = 0.75, k: Float = 1) -> LRNLayer {
    var p = LRNParams()
    p.localSize = size
    p.alpha = alpha
    p.beta = beta
    p.k = k
    return LRNLayer(spec: LayerSpec(name: "norm", kind: .lrn(p)), params: p)
}

/// The defining formula in Double, channel window summed directly.
private func referenceLRN(_ x: Tensor, size: Int, alpha: Double, beta: Double, k: Double) -> [Float] {
    let (n, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    var out = [Float](repeating: 0, count: x.count)
    for img in 0..<n {
        for ch in 0..<c {
            for i in 0..<hw {
                var sum = 0.0
                for j in max(0, ch - size / 2)...min(c - 1, ch + size / 2) {
                    let v = Double(x.data[(img * c + j) * hw + i])
                    sum += v * v
                }
                let idx = (img * c + ch) * hw + i
                out[idx] = Float(Double(x.data[idx]) * pow(k + alpha / Double(size) * sum, -beta))
            }
        }
    }
    return out
}

private func run(_ layer: LRNLayer, _ x: Tensor) throws -> Tensor {
    let y = Tensor()
    try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
    try layer.reshape(bottoms: [x], tops: [y])
    try layer.forward(bottoms: [x], tops: [y])
    return y
}

@Suite struct LRNLayerTests {
    @Test func knownValues() throws {
        // size 3, alpha 3 (alpha / size = 1), beta 1, k 1 on channels [1, 2, 3].
        let x = Tensor(1, 3, 1, 1, values: [1, 2, 3])
        let y = try run(makeLRN(size: 3, alpha: 3, beta: 1, k: 1), x)
        #expect(y.shape == [1, 3, 1, 1])
        let expected: [Float] = [1.0 / 6, 2.0 / 15, 3.0 / 14]
        for (a, e) in zip(y.values, expected) { #expect(abs(a - e) <= 1e-6 * e) }
    }

    @Test(arguments: [(5, 1.0, 0.75, 1.0), (3, 0.5, 0.6, 2.0), (5, 1e-4, 0.75, 1.0), (7, 2.0, 1.3, 0.5)])
    func forwardMatchesTheFormula(size: Int, alpha: Double, beta: Double, k: Double) throws {
        let x = randomTensor([2, 9, 3, 4], seed: 7, range: -2...2)
        let y = try run(makeLRN(size: size, alpha: Float(alpha), beta: Float(beta), k: Float(k)), x)
        let expected = referenceLRN(x, size: size, alpha: alpha, beta: beta, k: k)
        for (a, e) in zip(y.values, expected) { #expect(abs(a - e) <= 2e-6 * max(abs(e), 1e-3)) }
    }

    @Test func moreWindowThanChannels() throws {
        // A window wider than the channels sums all of them for every channel.
        let x = randomTensor([1, 2, 2, 2], seed: 8)
        let y = try run(makeLRN(size: 7, alpha: 1.5, beta: 0.5, k: 1), x)
        let expected = referenceLRN(x, size: 7, alpha: 1.5, beta: 0.5, k: 1)
        for (a, e) in zip(y.values, expected) { #expect(abs(a - e) <= 2e-6 * max(abs(e), 1e-3)) }
    }

    @Test func evenOrZeroSizeThrows() {
        let x = Tensor(shape: [1, 4, 2, 2]), y = Tensor()
        for size in [4, 0, -3] {
            #expect(throws: LayerError.self) {
                try makeLRN(size: size).setUp(bottoms: [x], tops: [y], store: ParameterStore())
            }
        }
        #expect(throws: LayerError.self) { try run(makeLRN(size: 3), Tensor(shape: [4, 2, 2])) }
    }

    @Test(arguments: [(3, 1.0, 0.75, 1.0), (5, 1.0, 0.75, 1.0), (5, 0.5, 0.6, 2.0), (3, 2.0, 1.3, 0.5)])
    func gradients(size: Int, alpha: Double, beta: Double, k: Double) throws {
        let x = randomTensor([2, 7, 3, 2], seed: 12)
        let layer = makeLRN(size: size, alpha: Float(alpha), beta: Float(beta), k: Float(k))
        let compared = try GradientChecker().check(layer: layer, bottoms: [x], tops: [Tensor()])
        #expect(compared == x.count)
    }

    @Test func parallelImagesMatchSingleImages() throws {
        // Enough work for the images to be split over threads; each must equal its own run.
        let x = randomTensor([6, 16, 10, 10], seed: 40, range: -3...3)
        let layer = makeLRN(size: 5, alpha: 1e-2, beta: 0.75, k: 1)
        let y = try run(layer, x)
        let dy = randomTensor(y.shape, seed: 41)
        y.diff.update(from: dy.data, count: y.count)
        layer.backward(tops: [y], propagateDown: [true], bottoms: [x])
        let per = 16 * 100
        for n in [0, 4] {
            let one = Tensor(shape: [1, 16, 10, 10])
            one.data.update(from: x.data + n * per, count: per)
            let single = makeLRN(size: 5, alpha: 1e-2, beta: 0.75, k: 1)
            let z = try run(single, one)
            z.diff.update(from: dy.data + n * per, count: per)
            single.backward(tops: [z], propagateDown: [true], bottoms: [one])
            #expect(Array(y.values[(n * per)..<((n + 1) * per)]) == z.values)
            #expect(Array(x.gradients[(n * per)..<((n + 1) * per)]) == one.gradients)
        }
    }
}
