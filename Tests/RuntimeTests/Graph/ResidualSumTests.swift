import Testing
@testable import NetDSL
@testable import Runtime

/// A residual Eltwise SUM (and the ReLU after it) computed by the folded convolution whose
/// output it reads, against the layers run one after the other.
@Suite struct ResidualSumTests {
    /// A ResNet bottleneck's ending: a projection shortcut (conv_s, bn_s) and a branch
    /// (conv_b, bn_b, sc_b) summed, then a ReLU; `coeff` weights the sum, `late` puts a layer
    /// that rewrites the shortcut between the branch's convolution and the sum.
    private static func net(coeff: [Float] = [], late: Bool = false, inputs: Int = 2) -> NetSpec {
        Net("residual") {
            Input("data", shape: [20, 4, 9, 9])
            Convolution("conv_s", outputs: 8, kernel: 1, stride: 2).inputs("data").weights(.gaussian(std: 0.5))
            BatchNorm("bn_s")
            Convolution("conv_b", outputs: 8, kernel: 3, stride: 2, pad: 1).inputs("data").weights(.gaussian(std: 0.5))
            BatchNorm("bn_b")
            Scale("sc_b", bias: true).scales(.uniform(min: 0.5, max: 1.5)).bias(.gaussian(std: 0.3))
            if late { TanH("late").inputs("conv_s").outputs("conv_s") }
            if inputs == 3 {
                Eltwise("sum", .sum, "conv_s", "conv_b", "conv_s", coeff: coeff)
            } else {
                Eltwise("sum", .sum, "conv_s", "conv_b", coeff: coeff)
            }
            ReLU("relu")
        }.spec
    }

    private static func outputs(_ graph: Graph, fixed: Bool) throws -> (sum: [Float], branch: [Float]) {
        graph.parametersFixed = fixed
        let data = try #require(graph.blobs["data"])
        var rng = RandomGenerator(seed: 5)
        for i in 0..<data.count { data.data[i] = rng.uniform(-1, 1) }
        try graph.forward()
        return (try #require(graph.blobs["sum"]).values, try #require(graph.blobs["conv_b"]).values)
    }

    private static func compile(_ net: NetSpec, engine: CompileOptions.Engine) throws -> Graph {
        let graph = try Compiler.compile(net, for: .test, store: ParameterStore(seed: 3),
                                         options: CompileOptions(convolutionEngine: engine))
        var rng = RandomGenerator(seed: 9)
        for layer in graph.layers where layer is BatchNormLayer {
            let p = layer.parameters
            for c in 0..<p[0].count {
                p[0].data[c] = 2 * rng.uniform(-0.5, 0.5)
                p[1].data[c] = 2 * rng.uniform(0.2, 2)
            }
            p[2].data[0] = 2
        }
        return graph
    }

    private static func expectClose(_ a: [Float], _ b: [Float], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let scale = max(1, b.map(abs).max() ?? 0)
        #expect(a.count == b.count, sourceLocation: sourceLocation)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-5 * scale, "largest difference \(worst) of \(scale)", sourceLocation: sourceLocation)
    }

    @Test(arguments: CompileOptions.Engine.allCases, [[], [0.5, -2]])
    func foldedSumEqualsTheLayers(engine: CompileOptions.Engine, coeff: [Float]) throws {
        if engine == .onednn && OneDNNLibrary.shared == nil { return }
        let graph = try Self.compile(Self.net(coeff: coeff), engine: engine)
        let plain = try Self.outputs(graph, fixed: false)
        graph.parametersFixed = true
        // Small chunks, so that oneDNN's folded convolution sums the batch in several pieces.
        let kernels = (graph.foldPlan?.folded ?? []).compactMap { $0?.kernel as? OneDNNConvolutionLayer }
        for kernel in kernels { kernel.chunkBytes = 4 << 10 }
        try graph.reshape()
        if engine == .onednn { #expect(kernels.allSatisfy { $0.imagesPerChunk == 1 }) }
        let folded = try Self.outputs(graph, fixed: true)
        #expect(graph.foldingProblem == nil)
        let names = graph.foldedLayers.map { "\($0.name) in \($0.into)" }
        #expect(names == ["bn_s in conv_s", "bn_b in conv_b", "sc_b in conv_b", "sum in conv_b", "relu in conv_b"])
        Self.expectClose(folded.sum, plain.sum)
        // The branch's own output keeps its values.
        Self.expectClose(folded.branch, plain.branch)
        #expect(plain.sum.contains { $0 > 0.5 } && plain.sum.contains { $0 == 0 }, "the ReLU clamps real values")
        #expect(folded.sum.count == 20 * 8 * 5 * 5)
    }

    @Test func aSumOfThreeInputsFoldsInTheirOrder() throws {
        let graph = try Self.compile(Self.net(coeff: [1, 0.25, 3], inputs: 3), engine: .auto)
        let plain = try Self.outputs(graph, fixed: false)
        let folded = try Self.outputs(graph, fixed: true)
        #expect(graph.foldedLayers.contains { $0.name == "sum" })
        Self.expectClose(folded.sum, plain.sum)
    }

    @Test func anInputRewrittenAfterTheConvolutionKeepsTheSum() throws {
        let graph = try Self.compile(Self.net(late: true), engine: .auto)
        let plain = try Self.outputs(graph, fixed: false)
        let folded = try Self.outputs(graph, fixed: true)
        #expect(!graph.foldedLayers.contains { $0.name == "sum" })
        #expect(graph.foldedLayers.contains { $0.name == "sc_b" })
        Self.expectClose(folded.sum, plain.sum)
    }
}
