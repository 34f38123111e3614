import Foundation
import NetDSL
import Testing
@testable import Runtime

/// The stochastic pooling layer with its draws restarted from one seed before every forward
/// pass: the sampled output is then a fixed choice of inputs, which finite differences can
/// check (perturbations small enough not to move a choice across its threshold).
private final class FixedDraws: Layer {
    let inner: StochasticPoolingLayer
    let seed: UInt64
    init(_ inner: StochasticPoolingLayer, seed: UInt64) {
        self.inner = inner
        self.seed = seed
    }
    var spec: LayerSpec { inner.spec }
    var parameters: [Tensor] { inner.parameters }
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try inner.setUp(bottoms: bottoms, tops: tops, store: store)
    }
    func reshape(bottoms: [Tensor], tops: [Tensor]) throws { try inner.reshape(bottoms: bottoms, tops: tops) }
    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        inner.random = RandomGenerator(seed: seed)
        try inner.forward(bottoms: bottoms, tops: tops)
    }
    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        inner.backward(tops: tops, propagateDown: propagateDown, bottoms: bottoms)
    }
}

@Suite struct StochasticPoolingLayerTests {
    private func layer(kernel: Int, stride: Int, phase: Phase, seed: UInt64 = 3,
                       rounding: PoolRounding = .ceil) -> StochasticPoolingLayer {
        var p = PoolingParams(method: .stochastic, kernelH: kernel, kernelW: kernel)
        (p.strideH, p.strideW, p.rounding) = (stride, stride, rounding)
        return StochasticPoolingLayer(spec: LayerSpec(name: "pool", kind: .pooling(p)), params: p, phase: phase,
                                      random: RandomGenerator(seed: seed))
    }

    private func run(_ l: Layer, _ x: Tensor) throws -> Tensor {
        let y = Tensor()
        try l.setUp(bottoms: [x], tops: [y], store: ParameterStore())
        try l.reshape(bottoms: [x], tops: [y])
        try l.forward(bottoms: [x], tops: [y])
        return y
    }

    @Test func testPhaseWeighsEachValueByItsProbability() throws {
        // One 2x2 window of 1, 2, 3, 4 and, by ceil rounding, clipped windows at the edges.
        let x = Tensor(1, 1, 3, 3, values: [1, 2, 5, 3, 4, 6, 7, 8, 9])
        let y = try run(layer(kernel: 2, stride: 2, phase: .test), x)
        #expect(y.shape == [1, 1, 2, 2])
        let expected: [Float] = [30.0 / 10, (25 + 36) / 11.0, (49 + 64) / 15.0, 81.0 / 9]
        for (a, e) in zip(y.values, expected) { #expect(abs(a - e) <= 1e-6 * e) }
        let zeros = try run(layer(kernel: 2, stride: 2, phase: .test), Tensor(1, 1, 2, 2, values: [0, 0, 0, 0]))
        #expect(zeros.values == [0], "an all-zero window gives 0, not NaN")
    }

    @Test(arguments: [(2, 2), (3, 2), (2, 1)])
    func testPhaseGradients(kernel: Int, stride: Int) throws {
        let x = randomTensor([2, 3, 5, 4], seed: 7, range: 0.1...1)
        let checked = try GradientChecker().check(layer: layer(kernel: kernel, stride: stride, phase: .test),
                                                  bottoms: [x], tops: [Tensor()])
        #expect(checked == x.count)
    }

    @Test func trainPhaseDrawsInProportionToTheValues() throws {
        // Windows of 1 and 3 side by side: 3 should be drawn three times in four.
        let count = 10_000
        let x = Tensor(shape: [count, 1, 1, 2])
        for i in 0..<count { (x.data[2 * i], x.data[2 * i + 1]) = (1, 3) }
        var p = PoolingParams(method: .stochastic, kernelH: 1, kernelW: 2)
        (p.strideH, p.strideW) = (1, 2)
        let l = StochasticPoolingLayer(spec: LayerSpec(name: "pool", kind: .pooling(p)), params: p, phase: .train,
                                       random: RandomGenerator(seed: 11))
        let y = try run(l, x)
        #expect(y.values.allSatisfy { $0 == 1 || $0 == 3 })
        let threes = Double(y.values.filter { $0 == 3 }.count) / Double(count)
        // Four standard deviations of a binomial proportion at p = 3/4: 0.017.
        #expect(abs(threes - 0.75) < 0.018, "\(threes)")
        // Zero values are never drawn while the window has a positive one.
        let sparse = Tensor(1, 1, 2, 2, values: [0, 0, 0, 2])
        #expect(try run(layer(kernel: 2, stride: 2, phase: .train), sparse).values == [2])
    }

    @Test func trainPhaseSendsTheGradientToTheChosenValue() throws {
        let x = randomTensor([2, 2, 6, 5], seed: 9, range: 0.1...1)
        var checker = GradientChecker()
        checker.stepsize = 1e-3
        let checked = try checker.check(layer: FixedDraws(layer(kernel: 3, stride: 2, phase: .train), seed: 5),
                                        bottoms: [x], tops: [Tensor()])
        #expect(checked == x.count)
    }

    @Test func drawsContinueFromTheGeneratorState() throws {
        let x = randomTensor([1, 4, 6, 6], seed: 2, range: 0.1...1)
        let first = layer(kernel: 3, stride: 3, phase: .train, seed: 8)
        let a = try run(first, x).values
        let b = try run(first, x).values
        #expect(a != b, "a second pass draws again")
        let resumed = layer(kernel: 3, stride: 3, phase: .train, seed: 99)
        resumed.random = RandomGenerator(seed: 8)
        #expect(try run(resumed, x).values == a, "the same generator state gives the same choices")
    }

    @Test func paddingIsRefusedAsCaffeRefusesIt() throws {
        let text = """
        layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 1 dim: 4 dim: 4 } } }
        layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"
                pooling_param { pool: STOCHASTIC kernel_size: 2 stride: 2 pad: 1 } }
        """
        do {
            _ = try CaffeImport.parse(netText: text, file: "stochastic.prototxt")
            Issue.record("accepted padded stochastic pooling")
        } catch let error as CaffeImportError {
            #expect(error.problems.map(\.line) == [3])
            #expect(error.problems.first?.message.contains("Caffe pads only MAX and AVE pooling") == true)
        }
        let plain = try CaffeImport.parse(netText: text.replacingOccurrences(of: " pad: 1", with: ""),
                                          file: "stochastic.prototxt").net
        guard case .pooling(let p) = plain.layers[1].kind else {
            Issue.record("not a pooling layer")
            return
        }
        #expect(p.method == .stochastic)
        #expect(try DeployPrototxt.text(for: plain).contains("pool: STOCHASTIC"))
    }

    @Test func onnxExportSaysItHasNoOperator() throws {
        let spec = Net("S") {
            Input("data", shape: [1, 2, 4, 4])
            Pooling("pool", .stochastic, kernel: 2, stride: 2)
        }.spec
        let graph = try Compiler.compile(spec, for: .test, store: ParameterStore())
        #expect(throws: ONNXExportError.self) { try ONNXExport.serializedModel(of: graph) }
    }
}
