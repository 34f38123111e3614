import NetDSL
import Testing
@testable import Runtime

@Suite struct EltwiseLayerTests {
    private func layer(_ op: EltwiseOperation, coeff: [Float] = []) -> EltwiseLayer {
        let p = EltwiseParams(operation: op, coeff: coeff)
        return EltwiseLayer(spec: LayerSpec(name: "eltwise", kind: .eltwise(p)), params: p)
    }

    private func forward(_ l: EltwiseLayer, _ bottoms: [Tensor], _ top: Tensor) throws {
        try l.setUp(bottoms: bottoms, tops: [top], store: ParameterStore())
        try l.reshape(bottoms: bottoms, tops: [top])
        try l.forward(bottoms: bottoms, tops: [top])
    }

    @Test func forwardValues() throws {
        let a = Tensor(3, values: [1, -2, 3]), b = Tensor(3, values: [4, 5, -6]), c = Tensor(3, values: [0, 1, 2])
        let top = Tensor()
        try forward(layer(.sum, coeff: [1, -0.5, 2]), [a, b, c], top)
        #expect(top.values == [-1, -2.5, 10])
        try forward(layer(.sum), [a, b], top)
        #expect(top.values == [5, 3, -3])
        try forward(layer(.product), [a, b, c], top)
        #expect(top.values == [0, -10, -36])
        try forward(layer(.max), [a, b, c], top)
        #expect(top.values == [4, 5, 3])
    }

    @Test func productGradientWithZeros() throws {
        let a = Tensor(2, values: [0, 2]), b = Tensor(2, values: [3, 0]), c = Tensor(2, values: [5, 7])
        let top = Tensor()
        let l = layer(.product)
        try forward(l, [a, b, c], top)
        top.diff.update(from: [1, 2], count: 2)
        l.backward(tops: [top], propagateDown: [true, true, true], bottoms: [a, b, c])
        #expect(a.gradients == [15, 0])
        #expect(b.gradients == [0, 28])
        #expect(c.gradients == [0, 0])
    }

    @Test func maxTiesFollowCaffe() throws {
        // Caffe: between inputs 0 and 1 a tie goes to input 1; later inputs must be strictly greater.
        let a = Tensor(1, values: [2]), b = Tensor(1, values: [2]), c = Tensor(1, values: [2])
        let top = Tensor()
        let l = layer(.max)
        try forward(l, [a, b, c], top)
        top.diff[0] = 1
        l.backward(tops: [top], propagateDown: [true, true, true], bottoms: [a, b, c])
        #expect(a.gradients == [0] && b.gradients == [1] && c.gradients == [0])
    }

    @Test func gradientSumWithCoefficients() throws {
        let bottoms = (0..<3).map { randomTensor([2, 3, 2], seed: 80 + UInt64($0)) }
        let checked = try GradientChecker().check(layer: layer(.sum, coeff: [1, -0.5, 2]), bottoms: bottoms, tops: [Tensor()])
        #expect(checked == 36)
    }

    @Test func gradientProduct() throws {
        for shape in [[2, 3, 2], [5]] {
            let bottoms = (0..<3).map { randomTensor(shape, seed: 90 + UInt64($0)) }
            let checked = try GradientChecker().check(layer: layer(.product), bottoms: bottoms, tops: [Tensor()])
            #expect(checked == 3 * bottoms[0].count)
        }
    }

    @Test func gradientMaxWithDistinctValues() throws {
        // Each position's three values are 0.3 apart, so the checker's steps never change the winner.
        let n = 12
        let bottoms = (0..<3).map { _ in Tensor(shape: [2, 3, 2]) }
        var rng = RandomGenerator(seed: 95)
        for k in 0..<n {
            var order = [0, 1, 2]
            order.shuffle(using: &rng)
            let base = rng.uniform(-1, 1)
            for i in 0..<3 { bottoms[i].data[k] = base + 0.3 * Float(order[i]) }
        }
        let checked = try GradientChecker().check(layer: layer(.max), bottoms: bottoms, tops: [Tensor()])
        #expect(checked == 3 * n)
    }

    @Test func shapeMismatchThrows() throws {
        let l = layer(.sum)
        let bottoms = [Tensor(shape: [2, 3]), Tensor(shape: [3, 2])], top = Tensor()
        try l.setUp(bottoms: bottoms, tops: [top], store: ParameterStore())
        do {
            try l.reshape(bottoms: bottoms, tops: [top])
            Issue.record("expected a LayerError")
        } catch let error as LayerError {
            #expect(error.message.contains("3x2") && error.message.contains("2x3"))
        }
    }

    @Test func invalidSettingsThrow() {
        let two = [Tensor(shape: [2]), Tensor(shape: [2])]
        #expect(throws: LayerError.self) {
            try layer(.sum, coeff: [1, 2, 3]).setUp(bottoms: two, tops: [Tensor()], store: ParameterStore())
        }
        #expect(throws: LayerError.self) {
            try layer(.product, coeff: [1, 2]).setUp(bottoms: two, tops: [Tensor()], store: ParameterStore())
        }
        #expect(throws: LayerError.self) {
            try layer(.sum).setUp(bottoms: [Tensor(shape: [2])], tops: [Tensor()], store: ParameterStore())
        }
    }
}
