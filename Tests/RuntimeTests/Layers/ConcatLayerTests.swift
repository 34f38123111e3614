import NetDSL
import Testing
@testable import Runtime

@Suite struct ConcatLayerTests {
    private func layer(axis: Int = 1) -> ConcatLayer {
        ConcatLayer(spec: LayerSpec(name: "concat", kind: .concat(ConcatParams(axis: axis))),
                    params: ConcatParams(axis: axis))
    }

    private func reshape(_ l: ConcatLayer, _ bottoms: [Tensor], _ top: Tensor) throws {
        try l.setUp(bottoms: bottoms, tops: [top], store: ParameterStore())
        try l.reshape(bottoms: bottoms, tops: [top])
    }

    @Test func shapes() throws {
        let top = Tensor()
        try reshape(layer(), [Tensor(shape: [2, 3, 4, 5]), Tensor(shape: [2, 2, 4, 5]), Tensor(shape: [2, 1, 4, 5])], top)
        #expect(top.shape == [2, 6, 4, 5])
        try reshape(layer(axis: 0), [Tensor(shape: [2, 3, 4]), Tensor(shape: [3, 3, 4])], top)
        #expect(top.shape == [5, 3, 4])
        try reshape(layer(axis: -1), [Tensor(shape: [2, 3]), Tensor(shape: [2, 4])], top)
        #expect(top.shape == [2, 7])
    }

    @Test func valuesAndSplitGradient() throws {
        let a = Tensor(2, 1, values: [1, 2])
        let b = Tensor(2, 2, values: [3, 4, 5, 6])
        let top = Tensor()
        let l = layer()
        try reshape(l, [a, b], top)
        try l.forward(bottoms: [a, b], tops: [top])
        #expect(top.values == [1, 3, 4, 2, 5, 6])
        top.diff.update(from: [10, 30, 40, 20, 50, 60], count: 6)
        l.backward(tops: [top], propagateDown: [true, true], bottoms: [a, b])
        #expect(a.gradients == [10, 20])
        #expect(b.gradients == [30, 40, 50, 60])
    }

    @Test func mismatchNamesTheInput() throws {
        let l = layer()
        do {
            try reshape(l, [Tensor(shape: [2, 3, 4]), Tensor(shape: [2, 3, 4]), Tensor(shape: [2, 3, 5])], Tensor())
            Issue.record("expected a LayerError")
        } catch let error as LayerError {
            #expect(error.message.contains("input 2"))
            #expect(error.message.contains("2x3x5"))
            #expect(error.message.contains("2x3x4"))
        }
        #expect(throws: LayerError.self) { try reshape(layer(), [Tensor(shape: [2, 3]), Tensor(shape: [2, 3, 1])], Tensor()) }
        #expect(throws: LayerError.self) { try reshape(layer(axis: 3), [Tensor(shape: [2, 3]), Tensor(shape: [2, 3])], Tensor()) }
    }

    @Test func gradientAxisOne() throws {
        let bottoms = [randomTensor([2, 3, 2, 2], seed: 70), randomTensor([2, 1, 2, 2], seed: 71),
                       randomTensor([2, 2, 2, 2], seed: 72)]
        let checked = try GradientChecker().check(layer: layer(), bottoms: bottoms, tops: [Tensor()])
        #expect(checked == bottoms.map(\.count).reduce(0, +))
    }

    @Test func gradientAxisZero() throws {
        let bottoms = [randomTensor([2, 3, 4], seed: 73), randomTensor([1, 3, 4], seed: 74)]
        let checked = try GradientChecker().check(layer: layer(axis: 0), bottoms: bottoms, tops: [Tensor()])
        #expect(checked == bottoms.map(\.count).reduce(0, +))
    }
}
