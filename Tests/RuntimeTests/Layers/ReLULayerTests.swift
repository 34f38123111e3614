import NetDSL
import Testing
@testable import Runtime

@Suite struct ReLULayerTests {
    private func layer(_ slope: Float) -> ReLULayer {
        ReLULayer(spec: LayerSpec(name: "relu", kind: .relu(ReLUParams(negativeSlope: slope))),
                  params: ReLUParams(negativeSlope: slope))
    }

    private func forward(_ l: ReLULayer, _ x: Tensor, _ y: Tensor) throws {
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [y])
        try l.forward(bottoms: [x], tops: [y])
    }

    @Test func forwardValues() throws {
        for (slope, expected) in [(Float(0), [Float](arrayLiteral: 0, 0, 0, 1.5, 3)),
                                  (0.1, [-0.2, -0.05, 0, 1.5, 3])] {
            let x = Tensor(5, values: [-2, -0.5, 0, 1.5, 3])
            let y = Tensor()
            try forward(layer(slope), x, y)
            #expect(y.shape == [5])
            for (a, b) in zip(y.values, expected) { #expect(abs(a - b) < 1e-6) }
        }
    }

    /// In place must give the same output and the same input gradient as out of place, including
    /// a negative slope, where the output's sign no longer matches the input's.
    @Test(arguments: [Float(0), 0.1, -0.5])
    func inPlaceMatchesOutOfPlace(slope: Float) throws {
        let shape = [2, 3, 4]
        let x = randomTensor(shape, seed: 3)
        let y = Tensor()
        let separate = layer(slope)
        try forward(separate, x, y)
        let dy = randomTensor(shape, seed: 4)
        y.diff.update(from: dy.data, count: y.count)
        separate.backward(tops: [y], propagateDown: [true], bottoms: [x])

        let z = randomTensor(shape, seed: 3)
        let inPlace = layer(slope)
        try forward(inPlace, z, z)
        #expect(z.values == y.values)
        z.diff.update(from: dy.data, count: z.count)
        inPlace.backward(tops: [z], propagateDown: [true], bottoms: [z])
        #expect(z.gradients == x.gradients)
        // Hand check: the gradient is the top gradient times 1 or the slope.
        let original = randomTensor(shape, seed: 3)
        for i in 0..<z.count {
            let factor: Float = original.data[i] > 0 ? 1 : slope
            #expect(z.diff[i] == dy.data[i] * factor)
        }
    }

    @Test(arguments: [Float(0), 0.1])
    func gradient(slope: Float) throws {
        for (n, shape) in [[2, 3, 4, 5], [3, 7]].enumerated() {
            let x = randomTensor(shape, seed: 10 + UInt64(n))
            let checked = try GradientChecker(kink: 0, kinkRange: 0.02)
                .check(layer: layer(slope), bottoms: [x], tops: [Tensor()])
            #expect(checked > x.count / 2)
        }
    }

    /// A count large enough to be split over cores gives the same values as the formula.
    @Test func largeCountMatchesFormula() throws {
        let x = randomTensor([300_000], seed: 15), y = Tensor()
        let l = layer(0.2)
        try forward(l, x, y)
        var wrong = 0
        for i in 0..<x.count where y.data[i] != max(x.data[i], 0) + 0.2 * min(x.data[i], 0) { wrong += 1 }
        #expect(wrong == 0)
        y.diff.update(repeating: 1, count: y.count)
        l.backward(tops: [y], propagateDown: [true], bottoms: [x])
        for i in 0..<x.count where x.diff[i] != (x.data[i] > 0 ? 1 : 0.2) { wrong += 1 }
        #expect(wrong == 0)
    }

    @Test func noGradientWhenNotPropagating() throws {
        let x = randomTensor([4], seed: 1), y = Tensor()
        let l = layer(0)
        try forward(l, x, y)
        x.diff.update(repeating: 7, count: 4)
        y.diff.update(repeating: 1, count: 4)
        l.backward(tops: [y], propagateDown: [false], bottoms: [x])
        #expect(x.gradients == [7, 7, 7, 7])
    }
}
