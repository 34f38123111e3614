import Testing
@testable import NetDSL
@testable import Runtime

/// BatchNorm and Scale folded into the convolution before them while a TEST graph's
/// parameters are fixed, against the same layers run one after the other.
@Suite struct FoldingTests {
    /// conv1 (no bias) -> bn1 -> sc1 -> relu1 -> conv2 (bias) -> bn2 -> pool -> bn3 (after no
    /// convolution) -> depthwise conv3 -> bn4 -> sc4 (no bias term).
    private static func net(bn2GlobalStats: Bool? = nil) -> NetSpec {
        Net("folding") {
            Input("data", shape: [2, 3, 12, 12])
            Convolution("conv1", outputs: 16, kernel: 3, pad: 1, bias: false).weights(.gaussian(std: 0.3))
            BatchNorm("bn1")
            Scale("sc1", bias: true).scales(.uniform(min: 0.5, max: 1.5)).bias(.gaussian(std: 0.3))
            ReLU("relu1")
            Convolution("conv2", outputs: 8, kernel: 3, stride: 2).weights(.gaussian(std: 0.3)).bias(.gaussian(std: 0.3))
            BatchNorm("bn2", useGlobalStats: bn2GlobalStats)
            Pooling("pool", .max, kernel: 2, stride: 1)
            BatchNorm("bn3")
            Convolution("conv3", outputs: 8, kernel: 3, pad: 1, group: 8).weights(.gaussian(std: 0.3))
            BatchNorm("bn4")
            Scale("sc4").scales(.uniform(min: -1.5, max: 1.5))
        }.spec
    }

    /// Stored statistics as training leaves them: sums scaled by a factor that is not 1.
    private static func fillStatistics(_ graph: Graph, seed: UInt64) {
        var rng = RandomGenerator(seed: seed)
        for layer in graph.layers where layer is BatchNormLayer {
            let p = layer.parameters
            let factor: Float = 2.5
            for c in 0..<p[0].count {
                p[0].data[c] = factor * rng.uniform(-0.5, 0.5)
                p[1].data[c] = factor * rng.uniform(0.2, 2)
            }
            p[2].data[0] = factor
        }
    }

    private static func outputs(_ graph: Graph, fixed: Bool) throws -> [Float] {
        graph.parametersFixed = fixed
        let data = try #require(graph.blobs["data"])
        var rng = RandomGenerator(seed: 3)
        for i in 0..<data.count { data.data[i] = rng.uniform(-1, 1) }
        try graph.forward()
        return try #require(graph.blobs["conv3"]).values
    }

    /// Within 1e-5 of the largest value's magnitude.
    private static func expectClose(_ a: [Float], _ b: [Float], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let scale = max(1, b.map(abs).max() ?? 0)
        #expect(a.count == b.count, sourceLocation: sourceLocation)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-5 * scale, "largest difference \(worst) of \(scale)", sourceLocation: sourceLocation)
    }

    @Test(arguments: CompileOptions.Engine.allCases)
    func foldedEqualsUnfolded(engine: CompileOptions.Engine) throws {
        if engine == .onednn && OneDNNLibrary.shared == nil { return }
        let options = CompileOptions(convolutionEngine: engine)
        let graph = try Compiler.compile(Self.net(), for: .test, store: ParameterStore(seed: 7), options: options)
        Self.fillStatistics(graph, seed: 1)
        let plain = try Self.outputs(graph, fixed: false)
        #expect(graph.foldedLayers.isEmpty)
        let folded = try Self.outputs(graph, fixed: true)
        #expect(graph.foldingProblem == nil)
        // oneDNN's convolution also applies the ReLU after the Scale.
        let relu = engine == .im2col || OneDNNLibrary.shared == nil ? [] : ["relu1 in conv1"]
        #expect(graph.foldedLayers.map { "\($0.name) in \($0.into)" } == ["bn1 in conv1", "sc1 in conv1"] + relu
                    + ["bn2 in conv2", "bn4 in conv3", "sc4 in conv3"])
        Self.expectClose(folded, plain)
        #expect(plain.contains { abs($0) > 0.5 }, "the test exercises real values")

        // New statistics, announced: the fold follows them.
        Self.fillStatistics(graph, seed: 2)
        graph.parametersChanged()
        let refolded = try Self.outputs(graph, fixed: true)
        let replain = try Self.outputs(graph, fixed: false)
        Self.expectClose(refolded, replain)
        #expect(refolded != folded)

        // Another batch size.
        try #require(graph.blobs["data"]).reshape([3, 3, 12, 12])
        try graph.reshape()
        let bigger = try Self.outputs(graph, fixed: true)
        Self.expectClose(bigger, try Self.outputs(graph, fixed: false))
        #expect(bigger.count == 3 * 8 * 4 * 4)
    }

    @Test func batchStatisticsAndTrainingAreNotFolded() throws {
        let test = try Compiler.compile(Self.net(bn2GlobalStats: false), for: .test, store: ParameterStore(seed: 7))
        Self.fillStatistics(test, seed: 1)
        _ = try Self.outputs(test, fixed: true)
        #expect(!test.foldedLayers.contains { $0.name == "bn2" })
        let train = try Compiler.compile(Self.net(), for: .train, store: ParameterStore(seed: 7))
        train.parametersFixed = true
        #expect(train.foldedLayers.isEmpty)
        let unfused = try Compiler.compile(Self.net(), for: .test, store: ParameterStore(seed: 7),
                                           options: CompileOptions(fuseLayers: false))
        unfused.parametersFixed = true
        #expect(unfused.foldedLayers.isEmpty)
    }
}
