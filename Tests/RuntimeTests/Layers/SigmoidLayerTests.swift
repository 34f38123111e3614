import Foundation
import NetDSL
import Testing
@testable import Runtime

@Suite struct SigmoidLayerTests {
    private func layer() -> SigmoidLayer { SigmoidLayer(spec: LayerSpec(name: "sigmoid", kind: .sigmoid)) }

    @Test func forwardValues() throws {
        let x = Tensor(4, values: [0, 2, -2, 50])
        let y = Tensor()
        let l = layer()
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [y])
        try l.forward(bottoms: [x], tops: [y])
        let expected: [Float] = [0.5, 0.880797078, 0.119202922, 1]
        for (a, b) in zip(y.values, expected) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func gradient() throws {
        for (n, shape) in [[2, 3, 4, 5], [5, 6]].enumerated() {
            let x = randomTensor(shape, seed: 20 + UInt64(n), range: -3...3)
            let checked = try GradientChecker().check(layer: layer(), bottoms: [x], tops: [Tensor()])
            #expect(checked == x.count)
        }
    }

    @Test func inPlaceBackwardUsesOutput() throws {
        let x = randomTensor([3, 4], seed: 5, range: -3...3)
        let original = x.values
        let l = layer()
        try l.setUp(bottoms: [x], tops: [x], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [x])
        try l.forward(bottoms: [x], tops: [x])
        x.diff.update(repeating: 1, count: x.count)
        l.backward(tops: [x], propagateDown: [true], bottoms: [x])
        for i in 0..<x.count {
            let s = 1 / (1 + exp(-Double(original[i])))
            #expect(abs(Double(x.diff[i]) - s * (1 - s)) < 1e-6)
        }
    }
}
