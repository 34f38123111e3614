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

/// Caffe's WITHIN_CHANNEL LRN (cifar10_full's norm1 and norm2).
@Suite struct LRNWithinChannelTests {
    private func layer(size: Int = 3, alpha: Float = 5e-3, beta: Float = 0.75) -> LRNWithinChannelLayer {
        var p = LRNParams()
        (p.localSize, p.alpha, p.beta, p.normRegion) = (size, alpha, beta, .withinChannel)
        return LRNWithinChannelLayer(spec: LayerSpec(name: "norm", kind: .lrn(p)), params: p)
    }

    @Test func valuesFollowCaffesConstruction() throws {
        let x = randomTensor([2, 2, 4, 5], seed: 70, range: -3...3)
        let y = Tensor()
        let l = layer(alpha: 0.3)
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [y])
        try l.forward(bottoms: [x], tops: [y])
        // Square, average pooling 3x3 pad 1 (divisor 9 everywhere), then (1 + alpha m)^-beta.
        for p in 0..<4 {
            for h in 0..<4 {
                for w in 0..<5 {
                    var sum: Double = 0
                    for hh in max(0, h - 1)...min(3, h + 1) {
                        for ww in max(0, w - 1)...min(4, w + 1) { sum += pow(Double(x.data[p * 20 + hh * 5 + ww]), 2) }
                    }
                    let i = p * 20 + h * 5 + w
                    let want = Double(x.data[i]) * pow(1 + 0.3 * sum / 9, -0.75)
                    #expect(abs(Double(y.data[i]) - want) < 1e-5 * max(1, abs(want)))
                }
            }
        }
    }

    @Test(arguments: [(3, 0.5 as Float), (5, 1 as Float), (1, 2 as Float)])
    func gradients(size: Int, alpha: Float) throws {
        for (n, shape) in [[2, 3, 5, 4], [1, 2, 3, 7]].enumerated() {
            let x = randomTensor(shape, seed: 71 + UInt64(n), range: -2...2)
            let checked = try GradientChecker().check(layer: layer(size: size, alpha: alpha), bottoms: [x], tops: [Tensor()])
            #expect(checked == x.count)
        }
    }
}
