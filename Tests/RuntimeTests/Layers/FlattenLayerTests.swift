import NetDSL
import Testing
@testable import Runtime

@Suite struct FlattenLayerTests {
    private func layer(axis: Int = 1, endAxis: Int = -1) -> FlattenLayer {
        let p = FlattenParams(axis: axis, endAxis: endAxis)
        return FlattenLayer(spec: LayerSpec(name: "flatten", kind: .flatten(p)), params: p)
    }

    private func reshape(_ l: FlattenLayer, _ x: Tensor, _ y: Tensor) throws {
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [y])
    }

    @Test(arguments: [(1, -1, [2, 60]), (2, -1, [2, 3, 20]), (1, 2, [2, 12, 5]), (0, 0, [2, 3, 4, 5]),
                      (-3, -2, [2, 12, 5]), (0, -1, [120])])
    func shapes(axis: Int, endAxis: Int, expected: [Int]) throws {
        let y = Tensor()
        try reshape(layer(axis: axis, endAxis: endAxis), Tensor(shape: [2, 3, 4, 5]), y)
        #expect(y.shape == expected)
    }

    @Test func sharesValuesAndGradientsAfterGrowth() throws {
        let x = randomTensor([2, 3, 2], seed: 100), y = Tensor()
        let l = layer()
        try reshape(l, x, y)
        #expect(y.data == x.data && y.diff == x.diff)
        // A bigger batch grows the input's storage; reshaping again must keep the view.
        x.reshape([4, 3, 2])
        try l.reshape(bottoms: [x], tops: [y])
        #expect(y.shape == [4, 6])
        #expect(y.data == x.data && y.diff == x.diff)
        x.data[23] = 5
        #expect(y.data[23] == 5)
    }

    /// The gradient checker cannot drive a layer whose output shares the input's gradient (it
    /// zeroes the input gradients after writing the output's), so this repeats its check by hand:
    /// L = sum(top * R), finite differences against what backward leaves in the input gradient.
    @Test func gradient() throws {
        for shape in [[2, 3, 2, 2], [3, 4]] {
            let x = randomTensor(shape, seed: 101), y = Tensor()
            let l = layer()
            try reshape(l, x, y)
            let r = randomTensor(shape, seed: 102)
            func objective() throws -> Double {
                try l.forward(bottoms: [x], tops: [y])
                return (0..<y.count).reduce(0) { $0 + Double(y.data[$1]) * Double(r.data[$1]) }
            }
            y.diff.update(from: r.data, count: y.count)
            l.backward(tops: [y], propagateDown: [true], bottoms: [x])
            let analytic = x.gradients
            for i in 0..<x.count {
                let v = x.data[i]
                x.data[i] = v + 0.01
                let plus = try objective()
                x.data[i] = v - 0.01
                let minus = try objective()
                x.data[i] = v
                #expect(abs(Float((plus - minus) / 0.02) - analytic[i]) < 1e-3)
            }
        }
    }

    @Test func invalidAxesThrow() throws {
        let x = Tensor(shape: [2, 3, 4])
        for (axis, end) in [(3, -1), (1, 3), (2, 1), (-4, -1)] {
            let l = layer(axis: axis, endAxis: end), y = Tensor()
            try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
            #expect(throws: LayerError.self) { try l.reshape(bottoms: [x], tops: [y]) }
        }
        #expect(throws: LayerError.self) { try layer().setUp(bottoms: [x], tops: [x], store: ParameterStore()) }
    }
}
