import Foundation
import Testing
@testable import NetDSL
@testable import Runtime

/// Graphs whose parameters are held fixed convert their weights once, and convert them again
/// whenever they are told the parameters changed: by hand, by loading weights, or by a trainer
/// between its test passes.
@Suite struct FixedParametersTests {
    /// conv1 has 9.4M multiply-adds per image, so it runs on oneDNN where oneDNN loads (and
    /// oneDNN's blocked weights are what a fixed graph keeps).
    private static func net() -> NetSpec {
        var conv = ConvolutionParams(numOutput: 64, kernelH: 3, kernelW: 3)
        (conv.padH, conv.padW) = (1, 1)
        conv.weightFiller = .gaussian(mean: 0, std: 0.1)
        conv.biasFiller = .uniform(min: -0.2, max: 0.2)
        var ip = InnerProductParams(numOutput: 5)
        ip.weightFiller = .gaussian(mean: 0, std: 0.05)
        return NetSpec(name: "fixed", layers: [
            LayerSpec(name: "data", kind: .input(InputParams(shapes: [[2, 16, 32, 32], [2]])), tops: ["data", "label"]),
            LayerSpec(name: "conv1", kind: .convolution(conv), bottoms: ["data"], tops: ["conv1"]),
            LayerSpec(name: "relu1", kind: .relu(ReLUParams()), bottoms: ["conv1"], tops: ["conv1"]),
            LayerSpec(name: "ip", kind: .innerProduct(ip), bottoms: ["conv1"], tops: ["ip"]),
            LayerSpec(name: "loss", kind: .softmaxWithLoss(SoftmaxWithLossParams()), bottoms: ["ip", "label"], tops: ["loss"]),
        ])
    }

    private static func fillInputs(_ graph: Graph, seed: UInt64 = 9) throws {
        let data = try #require(graph.blobs["data"]), label = try #require(graph.blobs["label"])
        var rng = RandomGenerator(seed: seed)
        for i in 0..<data.count { data.data[i] = rng.uniform(-1, 1) }
        for i in 0..<label.count { label.data[i] = Float(i % 5) }
    }

    private static func output(_ graph: Graph) throws -> [Float] {
        try graph.forward()
        return try #require(graph.blobs["ip"]).values
    }

    private static func oneDNNRuns(_ graph: Graph) -> Bool {
        (graph.layer(named: "conv1") as? OneDNNConvolutionLayer)?.engineDescription.hasPrefix("onednn") ?? false
    }

    @Test func fixedGraphKeepsItsConvertedWeightsUntilToldTheyChanged() throws {
        let graph = try Compiler.compile(Self.net(), for: .test, store: ParameterStore(seed: 5))
        try Self.fillInputs(graph)
        let before = try Self.output(graph)
        graph.parametersFixed = true
        #expect(try Self.output(graph) == before)

        // Half the weights, unannounced: a fixed graph still computes with the ones it converted.
        let weights = try #require(graph.layer(named: "conv1")?.parameters.first)
        for i in 0..<weights.count { weights.data[i] *= 0.5 }
        let unannounced = try Self.output(graph)
        #expect((unannounced == before) == Self.oneDNNRuns(graph),
                "a fixed graph with oneDNN keeps the converted weights; without it nothing is kept")

        graph.parametersChanged()
        let announced = try Self.output(graph)
        #expect(announced != before, "the halved weights changed nothing")
        graph.parametersFixed = false
        #expect(try Self.output(graph) == announced, "after parametersChanged() the fixed graph used other weights")
    }

    @Test func loadingWeightsIntoAFixedGraphConvertsThemAgain() throws {
        let source = try Compiler.compile(Self.net(), for: .test, store: ParameterStore(seed: 77))
        try Self.fillInputs(source)
        let expected = try Self.output(source)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fixed-\(UUID().uuidString).caffemodel")
        defer { try? FileManager.default.removeItem(at: file) }
        try Weights.write(source, to: file)

        let graph = try Compiler.compile(Self.net(), for: .test, store: ParameterStore(seed: 5))
        try Self.fillInputs(graph)
        graph.parametersFixed = true
        let initial = try Self.output(graph)
        try Weights.load(file, into: graph)
        let loaded = try Self.output(graph)
        #expect(loaded != initial)
        #expect(loaded == expected, "the fixed graph computed with the weights it had before the load")
    }

    /// A change announced through one graph reaches every fixed graph on the same store.
    @Test func changeAnnouncedThroughOneGraphReachesTheOthersOnTheStore() throws {
        let store = ParameterStore(seed: 5)
        let first = try Compiler.compile(Self.net(), for: .test, store: store)
        let second = try Compiler.compile(Self.net(), for: .test, store: store)
        for graph in [first, second] {
            try Self.fillInputs(graph)
            graph.parametersFixed = true
        }
        let before = try Self.output(second)
        let weights = try #require(first.layer(named: "conv1")?.parameters.first)
        for i in 0..<weights.count { weights.data[i] *= 0.5 }
        first.parametersChanged()
        let after = try Self.output(second)
        #expect(after != before, "the second graph kept the weights it converted before the change")
        second.parametersFixed = false
        #expect(try Self.output(second) == after)
    }

    /// The trainer's TEST graph is held fixed; each test pass must see the solver's latest steps.
    @Test func trainersTestPassesSeeEverySolverStep() throws {
        var plan = SolverPlan(baseLR: 0.01, momentum: 0.9, iterations: 3, testEvery: 1, testIterations: 1)
        plan.seed = 3
        let trainer = try Trainer(spec: Self.net(), plan: plan, seed: 3, observer: nil)
        try Self.fillInputs(trainer.trainGraph)
        let testGraph = try #require(trainer.testGraph)
        try Self.fillInputs(testGraph)
        #expect(testGraph.parametersFixed)
        try trainer.test()
        let first = try #require(testGraph.blobs["ip"]).values
        _ = try trainer.run()
        // The last test pass's scores, left in the TEST graph's blob.
        let last = try #require(testGraph.blobs["ip"]).values
        #expect(last != first, "three SGD steps changed no score")

        // A graph that converts the weights every pass, on the same parameters and inputs.
        let reference = try Compiler.compile(Self.net(), for: .test, store: trainer.store)
        try Self.fillInputs(reference)
        let expected = try Self.output(reference)
        let worst = zip(last, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst <= 1e-4, "the last test pass is \(worst) away from the current weights' scores")
    }
}
