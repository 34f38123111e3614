import Foundation
import NetDSL
import Testing
@testable import Runtime

@Suite struct SoftmaxLayerTests {
    private func layer(axis: Int = 1) -> SoftmaxLayer {
        SoftmaxLayer(spec: LayerSpec(name: "prob", kind: .softmax(SoftmaxParams(axis: axis))),
                     params: SoftmaxParams(axis: axis))
    }

    private func forward(_ l: SoftmaxLayer, _ x: Tensor, _ y: Tensor) throws {
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [y])
        try l.forward(bottoms: [x], tops: [y])
    }

    @Test func softmaxOfOneTwoThree() throws {
        for offset: Float in [0, 1000] {
            let x = Tensor(1, 3, values: [1 + offset, 2 + offset, 3 + offset])
            let y = Tensor()
            try forward(layer(), x, y)
            // e^k / (e + e^2 + e^3); the offset checks the max subtraction keeps it finite.
            let expected: [Float] = [0.0900305732, 0.244728471, 0.665240956]
            for (a, b) in zip(y.values, expected) { #expect(abs(a - b) < 1e-6) }
        }
    }

    /// Reference softmax over `axis` in Double, by explicit index arithmetic.
    private func reference(_ x: Tensor, axis: Int) -> [Double] {
        let outer = x.count(from: 0, to: axis), c = x.shape[axis], inner = x.count(from: axis + 1)
        var out = [Double](repeating: 0, count: x.count)
        for i in 0..<outer {
            for k in 0..<inner {
                let idx = (0..<c).map { (i * c + $0) * inner + k }
                let m = idx.map { Double(x.data[$0]) }.max() ?? 0
                let s = idx.map { exp(Double(x.data[$0]) - m) }.reduce(0, +)
                for j in idx { out[j] = exp(Double(x.data[j]) - m) / s }
            }
        }
        return out
    }

    // The last two are large enough to be split over cores.
    @Test(arguments: [(1, [2, 3, 4, 5]), (2, [2, 3, 4, 5]), (-1, [2, 3, 4, 5]), (0, [4, 3]),
                      (1, [400, 10, 20]), (1, [4000, 20])])
    func matchesReference(axis: Int, shape: [Int]) throws {
        let x = randomTensor(shape, seed: 50, range: -4...4)
        let y = Tensor()
        try forward(layer(axis: axis), x, y)
        #expect(y.shape == shape)
        let expected = reference(x, axis: axis < 0 ? axis + shape.count : axis)
        for i in 0..<y.count { #expect(abs(Double(y.data[i]) - expected[i]) < 1e-6) }
    }

    @Test func inPlace() throws {
        let x = randomTensor([2, 3, 4], seed: 51)
        let y = Tensor()
        let separate = layer()
        try forward(separate, x, y)
        let z = randomTensor([2, 3, 4], seed: 51)
        let inPlace = layer()
        try forward(inPlace, z, z)
        #expect(z.values == y.values)
        let dy = randomTensor([2, 3, 4], seed: 52)
        y.diff.update(from: dy.data, count: y.count)
        z.diff.update(from: dy.data, count: z.count)
        separate.backward(tops: [y], propagateDown: [true], bottoms: [x])
        inPlace.backward(tops: [z], propagateDown: [true], bottoms: [z])
        #expect(z.gradients == x.gradients)
    }

    @Test(arguments: [(1, [2, 3, 2, 3]), (2, [2, 3, 4, 2]), (1, [3, 5]), (-2, [2, 4, 3])])
    func gradient(axis: Int, shape: [Int]) throws {
        let x = randomTensor(shape, seed: 53, range: -2...2)
        let checked = try GradientChecker().check(layer: layer(axis: axis), bottoms: [x], tops: [Tensor()])
        #expect(checked == x.count)
    }

    @Test func axisOutOfRangeThrows() throws {
        let x = Tensor(shape: [2, 3]), y = Tensor()
        let l = layer(axis: 2)
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        #expect(throws: LayerError.self) { try l.reshape(bottoms: [x], tops: [y]) }
    }
}
