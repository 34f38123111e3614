import Foundation
import Testing
@testable import NetDSL
@testable import Recipes
@testable import Runtime

/// GoogLeNet's recipe against Caffe's bvlc_googlenet train_val.prototxt and quick solver (kept
/// as fixtures): the same layers, settings, blobs and shapes in both phases.
@Suite struct GoogLeNetTests {
    static let folder = "models/bvlc_googlenet/"

    /// The net with every Data layer's source set to `source`, which the recipe and Caffe's
    /// file name differently.
    static func sourced(_ net: NetSpec) -> NetSpec {
        var net = net
        for i in net.layers.indices {
            if case .data(var p) = net.layers[i].kind {
                p.source = net.layers[i].phase == .train ? "train" : "val"
                net.layers[i].kind = .data(p)
            }
        }
        return net
    }

    @Test func isThePublishedNetAndSolver() throws {
        let imported = try CaffeImport.load(solver: CaffeFixtures.path(Self.folder + "quick_solver.prototxt"))
        let recipe = GoogLeNet()
        for phase in Phase.allCases {
            let theirs = try Self.sourced(imported.net).resolved(for: phase).layers
            let ours = try Self.sourced(recipe.net.spec).resolved(for: phase).layers
            #expect(ours.count == theirs.count, "\(phase)")
            for (a, b) in zip(ours, theirs) { #expect(a == b, "\(phase): \(a.name) vs \(b.name)") }
        }
        var plan = try #require(imported.solver)
        plan.snapshotPrefix = recipe.solver.snapshotPrefix
        #expect(recipe.solver == plan)
    }

    @Test func blobShapesAreCaffes() throws {
        var net = GoogLeNet().net.spec
        for i in net.layers.indices {
            if case .data = net.layers[i].kind { net.layers[i].kind = .input(InputParams(shapes: [[1, 3, 224, 224], [1]])) }
        }
        let graph = try Compiler.compile(net, for: .test, store: ParameterStore(seed: 1))
        let expected: [String: [Int]] = [
            "conv1/7x7_s2": [64, 112, 112], "pool1/3x3_s2": [64, 56, 56], "conv2/3x3": [192, 56, 56],
            "pool2/3x3_s2": [192, 28, 28], "inception_3a/output": [256, 28, 28], "inception_3b/output": [480, 28, 28],
            "pool3/3x3_s2": [480, 14, 14], "inception_4a/output": [512, 14, 14], "loss1/ave_pool": [512, 4, 4],
            "loss1/fc": [1024], "inception_4d/output": [528, 14, 14], "inception_4e/output": [832, 14, 14],
            "pool4/3x3_s2": [832, 7, 7], "inception_5b/output": [1024, 7, 7], "pool5/7x7_s1": [1024, 1, 1],
            "loss3/classifier": [1000],
        ]
        for (name, shape) in expected {
            #expect(graph.blobs[name]?.shape == [1] + shape, "\(name) is \(graph.blobs[name]?.shape ?? [])")
        }
        #expect(graph.outputs.map(\.name).sorted() == ["loss1/loss1", "loss1/top-1", "loss1/top-5", "loss2/loss2",
                                                       "loss2/top-1", "loss2/top-5", "loss3/loss3", "loss3/top-1", "loss3/top-5"])
        #expect(Dictionary(uniqueKeysWithValues: graph.outputs.map { ($0.name, $0.lossWeight) })["loss2/loss2"] == 0.3)
    }

    @Test func trainsAStepOnGeneratedInputs() throws {
        var net = GoogLeNet().net.spec
        for i in net.layers.indices {
            if case .data = net.layers[i].kind { net.layers[i].kind = .input(InputParams(shapes: [[1, 3, 224, 224], [1]])) }
        }
        let store = ParameterStore(seed: 5)
        let graph = try Compiler.compile(net, for: .train, store: store)
        graph.blobs["data"]?.copy(from: randomTensor([1, 3, 224, 224], seed: 6, range: -50...50).values)
        graph.blobs["label"]?.copy(from: [3])
        let loss = try graph.forward()
        // Three softmax losses over 1000 classes near chance: 1.6 x ln(1000), give or take.
        #expect(loss.isFinite && loss > 5 && loss < 20, "\(loss)")
        graph.backward()
        #expect(store.parameter(named: "conv1/7x7_s2.0")?.tensor.gradients.contains { $0 != 0 } == true)
    }
}
