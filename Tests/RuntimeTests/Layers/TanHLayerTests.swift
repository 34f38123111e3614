import Foundation
import NetDSL
import Testing
@testable import Runtime

@Suite struct TanHLayerTests {
    private func layer() -> TanHLayer { TanHLayer(spec: LayerSpec(name: "tanh", kind: .tanh)) }

    @Test func forwardValues() throws {
        let x = Tensor(4, values: [0, 1, -1, 20])
        let y = Tensor()
        let l = layer()
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [y])
        try l.forward(bottoms: [x], tops: [y])
        let expected: [Float] = [0, 0.761594156, -0.761594156, 1]
        for (a, b) in zip(y.values, expected) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func gradient() throws {
        for (n, shape) in [[2, 3, 4, 5], [5, 6]].enumerated() {
            let x = randomTensor(shape, seed: 30 + UInt64(n), range: -2...2)
            let checked = try GradientChecker().check(layer: layer(), bottoms: [x], tops: [Tensor()])
            #expect(checked == x.count)
        }
    }

    @Test func inPlaceBackwardUsesOutput() throws {
        let x = randomTensor([3, 4], seed: 6, range: -2...2)
        let original = x.values
        let l = layer()
        try l.setUp(bottoms: [x], tops: [x], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [x])
        try l.forward(bottoms: [x], tops: [x])
        x.diff.update(repeating: 2, count: x.count)
        l.backward(tops: [x], propagateDown: [true], bottoms: [x])
        for i in 0..<x.count {
            let t = tanh(Double(original[i]))
            #expect(abs(Double(x.diff[i]) - 2 * (1 - t * t)) < 1e-5)
        }
    }
}
