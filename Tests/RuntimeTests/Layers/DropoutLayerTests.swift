import NetDSL
import Testing
@testable import Runtime

/// Runs a dropout layer with its generator rewound before every forward pass, so every pass
/// draws the same mask. The layer is then a fixed linear map x -> x * mask / (1 - ratio), and the
/// gradient checker's finite differences test that backward applies exactly the mask and scale
/// that forward used.
private final class RewoundDropout: Layer {
    let inner: DropoutLayer
    let start: RandomGenerator
    var spec: LayerSpec { inner.spec }
    func overwritesInputGradients(inputs: Int) -> Bool { true }

    init(_ inner: DropoutLayer) {
        self.inner = inner
        start = inner.random
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try inner.setUp(bottoms: bottoms, tops: tops, store: store)
    }
    func reshape(bottoms: [Tensor], tops: [Tensor]) throws { try inner.reshape(bottoms: bottoms, tops: tops) }
    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        inner.random = start
        try inner.forward(bottoms: bottoms, tops: tops)
    }
    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        inner.backward(tops: tops, propagateDown: propagateDown, bottoms: bottoms)
    }
}

@Suite struct DropoutLayerTests {
    private func layer(_ ratio: Float, _ phase: Phase, seed: UInt64 = 42) -> DropoutLayer {
        DropoutLayer(spec: LayerSpec(name: "drop", kind: .dropout(DropoutParams(ratio: ratio))),
                     params: DropoutParams(ratio: ratio), phase: phase, random: RandomGenerator(seed: seed))
    }

    private func forward(_ l: Layer, _ x: Tensor, _ y: Tensor) throws {
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [y])
        try l.forward(bottoms: [x], tops: [y])
    }

    @Test func testPhaseIsIdentity() throws {
        let x = randomTensor([2, 3, 4], seed: 1)
        let y = Tensor()
        let l = layer(0.5, .test)
        try forward(l, x, y)
        #expect(y.values == x.values)
        let gradient = randomTensor([2, 3, 4], seed: 2)
        withExtendedLifetime(gradient) { y.diff.update(from: gradient.data, count: y.count) }
        l.backward(tops: [y], propagateDown: [true], bottoms: [x])
        #expect(x.gradients == y.gradients)

        let z = randomTensor([2, 3, 4], seed: 1)
        try forward(layer(0.5, .test), z, z)
        #expect(z.values == x.values)
    }

    @Test(arguments: [Float(0.3), 0.5])
    func trainKeepsAboutOneMinusRatioScaled(ratio: Float) throws {
        let n = 20_000
        // Inputs away from zero, so a zero output means a dropped value.
        let x = randomTensor([n], seed: 7, range: 0.5...1.5)
        let y = Tensor()
        try forward(layer(ratio, .train), x, y)
        var kept = 0
        for i in 0..<n where y.data[i] != 0 {
            kept += 1
            #expect(abs(y.data[i] - x.data[i] / (1 - ratio)) <= 1e-6 * abs(y.data[i]))
        }
        let fraction = Double(kept) / Double(n)
        // Binomial standard deviation is about 0.0035 here; 0.02 is over five of them.
        #expect(abs(fraction - Double(1 - ratio)) < 0.02)
    }

    @Test func ratioZeroKeepsEverything() throws {
        let x = randomTensor([100], seed: 8)
        let y = Tensor()
        try forward(layer(0, .train), x, y)
        #expect(y.values == x.values)
    }

    @Test func deterministicAndRestorable() throws {
        let x = randomTensor([1000], seed: 9)
        let a = Tensor(), b = Tensor()
        let first = layer(0.5, .train, seed: 5), second = layer(0.5, .train, seed: 5)
        try forward(first, x, a)
        try forward(second, x, b)
        #expect(a.values == b.values)

        // Saving and restoring the generator repeats the next mask; not restoring changes it.
        let saved = first.random
        try first.forward(bottoms: [x], tops: [a])
        let next = a.values
        try first.forward(bottoms: [x], tops: [a])
        #expect(a.values != next)
        first.random = saved
        try first.forward(bottoms: [x], tops: [a])
        #expect(a.values == next)
    }

    /// The mask is one draw per element in order, whatever the thread count: a count large enough
    /// to be split over cores gives exactly the sequential draws.
    @Test func maskIsSequentialDraws() throws {
        let n = 100_000
        let x = randomTensor([n], seed: 14, range: 0.5...1.5)
        let y = Tensor()
        try forward(layer(0.25, .train, seed: 21), x, y)
        var rng = RandomGenerator(seed: 21)
        let scale = Float(1 / (1 - 0.25))
        var mismatches = 0
        for i in 0..<n {
            let expected = rng.uniform() < 0.75 ? x.data[i] * scale : 0
            if y.data[i] != expected { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    @Test func backwardAppliesTheMask() throws {
        let x = randomTensor([50], seed: 11, range: 0.5...1.5)
        let y = Tensor()
        let l = layer(0.4, .train)
        try forward(l, x, y)
        y.diff.update(repeating: 3, count: y.count)
        l.backward(tops: [y], propagateDown: [true], bottoms: [x])
        for i in 0..<50 {
            let expected: Float = y.data[i] == 0 ? 0 : 3 * Float(1 / (1 - 0.4))
            #expect(abs(x.diff[i] - expected) < 1e-6)
        }
    }

    @Test func inPlaceTrain() throws {
        let x = randomTensor([200], seed: 12)
        let y = Tensor()
        try forward(layer(0.5, .train, seed: 3), x, y)
        let z = randomTensor([200], seed: 12)
        try forward(layer(0.5, .train, seed: 3), z, z)
        #expect(z.values == y.values)
    }

    @Test func gradientInTrain() throws {
        for (n, shape) in [[2, 3, 4, 5], [6, 7]].enumerated() {
            let x = randomTensor(shape, seed: 40 + UInt64(n))
            let l = layer(0.5, .train, seed: 13 + UInt64(n))
            let checked = try GradientChecker().check(layer: RewoundDropout(l), bottoms: [x], tops: [Tensor()])
            #expect(checked == x.count)
            // The check means something only if the mask both drops and keeps values.
            let dropped = l.mask.prefix(x.count).filter { $0 == 0 }.count
            #expect(dropped > 0 && dropped < x.count)
        }
    }

    @Test(arguments: [Float(1), 1.5, -0.1])
    func invalidRatioThrows(ratio: Float) {
        let x = Tensor(shape: [2]), y = Tensor()
        #expect(throws: LayerError.self) {
            try layer(ratio, .train).setUp(bottoms: [x], tops: [y], store: ParameterStore())
        }
    }
}
