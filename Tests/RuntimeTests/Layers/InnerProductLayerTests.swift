import NetDSL
import Testing
@testable import Runtime

private func makeIP(outputs: Int, axis: Int = 1, bias: Bool = true) -> InnerProductLayer {
    var p = InnerProductParams(numOutput: outputs)
    p.axis = axis
    p.biasTerm = bias
    p.weightFiller = .gaussian(mean: 0, std: 0.5)
    p.biasFiller = .uniform(min: -0.5, max: 0.5)
    return InnerProductLayer(spec: LayerSpec(name: "ip", kind: .innerProduct(p)), params: p)
}

@Suite struct InnerProductLayerTests {
    @Test func knownWeights() throws {
        let layer = makeIP(outputs: 2)
        let x = Tensor(2, 3, values: [1, 2, 3, 4, 5, 6]), y = Tensor()
        try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try layer.reshape(bottoms: [x], tops: [y])
        layer.parameters[0].copy(from: [1, 0, -1, 0.5, 0.5, 0.5])
        layer.parameters[1].copy(from: [1, -1])
        try layer.forward(bottoms: [x], tops: [y])
        #expect(y.shape == [2, 2])
        #expect(y.values == [-1, 2, -1, 6.5])

        // dW += dy^T x, db += column sums of dy, dx = dy W.
        y.diff.update(from: [1, 0, 0, 2], count: 4)
        for p in layer.parameters { p.zeroDiff() }
        layer.backward(tops: [y], propagateDown: [true], bottoms: [x])
        #expect(layer.parameters[0].gradients == [1, 2, 3, 8, 10, 12])
        #expect(layer.parameters[1].gradients == [1, 2])
        #expect(x.gradients == [1, 0, -1, 1, 1, 1])
    }

    @Test func shapesFromTheAxis() throws {
        let x = Tensor(shape: [2, 3, 4, 5])
        let cases: [(axis: Int, top: [Int], weights: [Int])] = [
            (1, [2, 7], [7, 60]), (2, [2, 3, 7], [7, 20]), (-1, [2, 3, 4, 7], [7, 5]), (0, [7], [7, 120]),
        ]
        for c in cases {
            let layer = makeIP(outputs: 7, axis: c.axis), y = Tensor()
            try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
            try layer.reshape(bottoms: [x], tops: [y])
            #expect(y.shape == c.top)
            #expect(layer.parameters[0].shape == c.weights)
        }
    }

    @Test func inputSizeMustMatchTheWeights() throws {
        let layer = makeIP(outputs: 3), y = Tensor()
        try layer.setUp(bottoms: [Tensor(shape: [2, 3, 4])], tops: [y], store: ParameterStore())
        // A different batch size is fine; a different row length is not.
        try layer.reshape(bottoms: [Tensor(shape: [5, 3, 4])], tops: [y])
        #expect(y.shape == [5, 3])
        #expect(throws: LayerError.self) { try layer.reshape(bottoms: [Tensor(shape: [5, 4, 4])], tops: [y]) }
        #expect(throws: LayerError.self) {
            try makeIP(outputs: 3, axis: 3).setUp(bottoms: [Tensor(shape: [2, 3, 4])], tops: [y], store: ParameterStore())
        }
    }

    @Test func gradientsAxisOneOnFourAxes() throws {
        let x = randomTensor([3, 2, 3, 2], seed: 1)
        let compared = try GradientChecker().check(layer: makeIP(outputs: 4), bottoms: [x], tops: [Tensor()])
        #expect(compared == x.count + 4 * 12 + 4)
    }

    @Test func gradientsAxisTwo() throws {
        let x = randomTensor([2, 3, 5], seed: 2)
        let compared = try GradientChecker().check(layer: makeIP(outputs: 3, axis: 2), bottoms: [x], tops: [Tensor()])
        #expect(compared == x.count + 3 * 5 + 3)
    }

    @Test func gradientsWithoutBias() throws {
        let layer = makeIP(outputs: 5, bias: false)
        let x = randomTensor([4, 6], seed: 3)
        let compared = try GradientChecker().check(layer: layer, bottoms: [x], tops: [Tensor()])
        #expect(layer.parameters.count == 1)
        #expect(compared == x.count + 5 * 6)
    }

    @Test func parameterGradientsOnly() throws {
        let layer = makeIP(outputs: 3)
        let x = randomTensor([2, 4], seed: 4), y = Tensor()
        let compared = try GradientChecker().check(layer: layer, bottoms: [x], tops: [y], checkBottoms: [])
        #expect(compared == 3 * 4 + 3)
        for i in 0..<x.count { x.diff[i] = 7 }
        layer.backward(tops: [y], propagateDown: [false], bottoms: [x])
        #expect(x.gradients.allSatisfy { $0 == 7 })
    }
}

/// Caffe's `transpose: true`: weights stored inputs x outputs.
@Suite struct TransposedInnerProductTests {
    private func layer(transpose: Bool, rows: Int) -> InnerProductLayer {
        var p = InnerProductParams(numOutput: 3)
        (p.transpose, p.weightFiller, p.biasFiller) = (transpose, .gaussian(std: 0.5), .gaussian(std: 0.2))
        return InnerProductLayer(spec: LayerSpec(name: "ip", kind: .innerProduct(p)), params: p)
    }

    @Test(arguments: [2, 40])
    func equalsThePlainLayerWithTransposedWeights(rows: Int) throws {
        let x = randomTensor([rows, 4, 2], seed: 80)
        let plain = layer(transpose: false, rows: rows), transposed = layer(transpose: true, rows: rows)
        let y1 = Tensor(), y2 = Tensor()
        try plain.setUp(bottoms: [x], tops: [y1], store: ParameterStore(seed: 1))
        try transposed.setUp(bottoms: [x], tops: [y2], store: ParameterStore(seed: 2))
        #expect(transposed.parameters[0].shape == [8, 3])
        let w = plain.parameters[0].values
        transposed.parameters[0].copy(from: (0..<24).map { i in w[(i % 3) * 8 + i / 3] })
        transposed.parameters[1].copy(from: plain.parameters[1].values)
        for (l, y) in [(plain, y1), (transposed, y2)] {
            try l.reshape(bottoms: [x], tops: [y])
            try l.forward(bottoms: [x], tops: [y])
        }
        for (a, b) in zip(y1.values, y2.values) { #expect(abs(a - b) < 1e-5) }
    }

    @Test func gradients() throws {
        let x = randomTensor([5, 4], seed: 81)
        let checked = try GradientChecker().check(layer: layer(transpose: true, rows: 5), bottoms: [x], tops: [Tensor()])
        #expect(checked == x.count + 12 + 3)
    }

    @Test func readsAndWritesCaffesField() throws {
        let net = try CaffeImport.parse(netText: """
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 4 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 transpose: true } }
        """, file: "t.prototxt").net
        guard case .innerProduct(let p) = net.layers[1].kind else { Issue.record("not an InnerProduct"); return }
        #expect(p.transpose)
        #expect(try DeployPrototxt.text(for: net).contains("transpose: true"))
    }
}
