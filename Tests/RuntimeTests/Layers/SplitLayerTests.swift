import NetDSL
import Testing
@testable import Runtime

@Suite struct SplitLayerTests {
    private func layer() -> SplitLayer {
        SplitLayer(spec: LayerSpec(name: "data_split", kind: .flatten(FlattenParams())))
    }

    @Test func topsShareValuesButNotGradients() throws {
        let x = randomTensor([2, 3], seed: 110)
        let tops = [Tensor(), Tensor(), Tensor()]
        let l = layer()
        try l.setUp(bottoms: [x], tops: tops, store: ParameterStore())
        try l.reshape(bottoms: [x], tops: tops)
        try l.forward(bottoms: [x], tops: tops)
        for t in tops {
            #expect(t.shape == [2, 3] && t.values == x.values)
            #expect(t.diff != x.diff)
        }
        for (i, t) in tops.enumerated() { t.diff.update(repeating: Float(i + 1), count: t.count) }
        l.backward(tops: tops, propagateDown: [true], bottoms: [x])
        #expect(x.gradients == [Float](repeating: 6, count: 6))

        // A bigger input grows its storage; reshaping again keeps the tops reading it.
        x.reshape([5, 3])
        try l.reshape(bottoms: [x], tops: tops)
        x.data[14] = 3
        for t in tops { #expect(t.count == 15 && t.data[14] == 3) }
    }

    @Test func gradient() throws {
        for (n, shape) in [[2, 3, 2], [7]].enumerated() {
            let x = randomTensor(shape, seed: 111 + UInt64(n))
            let checked = try GradientChecker().check(layer: layer(), bottoms: [x], tops: [Tensor(), Tensor()])
            #expect(checked == x.count)
        }
    }

    @Test func inPlaceThrows() {
        let x = Tensor(shape: [2])
        #expect(throws: LayerError.self) { try layer().setUp(bottoms: [x], tops: [Tensor(), x], store: ParameterStore()) }
    }
}
