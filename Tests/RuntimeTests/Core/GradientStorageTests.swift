import NetDSL
import Testing
@testable import Runtime

/// The graph's buffer planning: blob gradients whose backward lifetimes do not overlap share
/// storage. It must change no gradient, and it must actually share.
@Suite struct GradientStorageTests {
    /// Chains, a branch (split and eltwise), a concat, in-place layers and Flatten's shared
    /// gradient: every kind of lifetime the planner sees.
    private static let net = Net("plan") {
        Input(shapes: [[3, 2, 9, 9], [3]])
        Convolution("conv1", outputs: 4, kernel: 3).weights(.gaussian(std: 0.3)).bias(.gaussian(std: 0.1))
        ReLU()
        Pooling("pool1", .max, kernel: 3, stride: 2)
        LRN("norm1", size: 3, alpha: 0.1, beta: 0.75)
        Convolution("left", outputs: 3, kernel: 1).inputs("norm1").weights(.gaussian(std: 0.3))
        Convolution("right", outputs: 3, kernel: 1).inputs("norm1").weights(.gaussian(std: 0.3))
        Eltwise("sum", .sum, "left", "right")
        Convolution("other", outputs: 2, kernel: 1).inputs("norm1").weights(.gaussian(std: 0.3))
        Concat("joined", "sum", "other")
        Flatten("flat")
        InnerProduct("fc1", outputs: 6).weights(.gaussian(std: 0.3)).bias(.constant(0.1))
        TanH()
        InnerProduct("fc2", outputs: 5).weights(.gaussian(std: 0.3))
        SoftmaxWithLoss("loss").inputs("fc2", "label")
    }.spec

    /// Gradients that no layer writes before they are read: an output that learns but that no
    /// loss reaches ("aux"), and Accuracy in TRAIN, which takes a split of the scores but sends
    /// nothing back. Both must read zeros, never another blob's stale gradient.
    private static let looseEnds = Net("loose") {
        Input(shapes: [[3, 2, 6, 6], [3]])
        Convolution("conv1", outputs: 3, kernel: 3).weights(.gaussian(std: 0.3)).bias(.gaussian(std: 0.1))
        ReLU()
        InnerProduct("fc1", outputs: 6).weights(.gaussian(std: 0.3)).bias(.constant(0.1))
        TanH()
        InnerProduct("aux", outputs: 4).inputs("fc1").weights(.gaussian(std: 0.3)).bias(.constant(0.1))
        InnerProduct("fc2", outputs: 5).inputs("fc1").weights(.gaussian(std: 0.3))
        SoftmaxWithLoss("loss").inputs("fc2", "label")
        Accuracy("acc").inputs("fc2", "label")
    }.spec

    private struct Run {
        var parameters: [[Float]]
        var storages: Int
        var blobs: Int
        var graph: Graph
    }

    private static func gradients(_ net: NetSpec, shareGradients: Bool) throws -> Run {
        let store = ParameterStore(seed: 5)
        let graph = try Compiler.compile(net, for: .train, store: store, options: CompileOptions(shareGradients: shareGradients))
        let data = try #require(graph.blobs["data"]), label = try #require(graph.blobs["label"])
        var rng = RandomGenerator(seed: 9)
        for i in 0..<data.count { data.data[i] = rng.uniform(-1, 1) }
        for i in 0..<label.count { label.data[i] = Float(i % 5) }
        // Two passes, as training runs them: stale values in shared storage must not leak in.
        var result: [[Float]] = []
        for _ in 0..<2 {
            for p in store.parameters { p.tensor.zeroDiff() }
            try graph.forward()
            graph.backward()
            result = store.parameters.map { $0.tensor.gradients }
        }
        var tensors: [Tensor] = []
        for i in graph.layers.indices {
            let io = graph.io(ofLayer: i)
            for t in io.bottoms + io.tops where !tensors.contains(where: { $0 === t }) { tensors.append(t) }
        }
        var storages: [ObjectIdentifier] = []
        for t in tensors where !storages.contains(ObjectIdentifier(t.diffBuffer)) {
            storages.append(ObjectIdentifier(t.diffBuffer))
        }
        return Run(parameters: result, storages: storages.count, blobs: tensors.count, graph: graph)
    }

    @Test func sharedGradientStorageChangesNoGradient() throws {
        let shared = try Self.gradients(Self.net, shareGradients: true)
        let separate = try Self.gradients(Self.net, shareGradients: false)
        #expect(shared.parameters == separate.parameters)
        #expect(shared.parameters.joined().contains { $0 != 0 })
        #expect(shared.storages < separate.storages - 4,
                "\(shared.storages) gradient storages for \(shared.blobs) blobs; without sharing \(separate.storages)")
    }

    @Test func gradientsNoLayerWritesStayZeroWhenShared() throws {
        let shared = try Self.gradients(Self.looseEnds, shareGradients: true)
        let separate = try Self.gradients(Self.looseEnds, shareGradients: false)
        #expect(shared.parameters == separate.parameters)
        #expect(shared.parameters.joined().contains { $0 != 0 })
        let aux = try #require(shared.graph.layer(named: "aux"))
        for (i, p) in aux.parameters.enumerated() {
            #expect(p.gradients.allSatisfy { $0 == 0 }, "aux parameter \(i) took a gradient no loss sends")
        }
        #expect(shared.storages < separate.storages,
                "\(shared.storages) gradient storages for \(shared.blobs) blobs; without sharing \(separate.storages)")
    }
}
