import Foundation
import NetDSL
import Testing
@testable import Experiments
@testable import Runtime

/// `export --deploy` keeps the blobs of every kind that has them, as each kind declares them:
/// PReLU's slopes, BatchNorm's three statistics, Scale's scale and bias, not just convolutions'.
@Suite struct ExportLearnedKindsTests {
    static var net: NetSpec {
        var data = DataParams(source: "/nonexistent/test_lmdb", batchSize: 2)
        data.transform.scale = 0.5
        var ip = InnerProductParams(numOutput: 3)
        ip.weightFiller = .gaussian(std: 0.1)
        return NetSpec(name: "Learners", layers: [
            LayerSpec(name: "data", kind: .data(data), tops: ["data", "label"], phase: .test),
            LayerSpec(name: "prelu", kind: .prelu(PReLUParams()), bottoms: ["data"], tops: ["p"]),
            LayerSpec(name: "bn", kind: .batchNorm(BatchNormParams()), bottoms: ["p"], tops: ["p"]),
            LayerSpec(name: "sc", kind: .scale(ScaleParams(biasTerm: true)), bottoms: ["p"], tops: ["p"]),
            LayerSpec(name: "ip", kind: .innerProduct(ip), bottoms: ["p"], tops: ["ip"]),
            LayerSpec(name: "loss", kind: .softmaxWithLoss(SoftmaxWithLossParams()), bottoms: ["ip", "label"], tops: ["loss"]),
        ])
    }

    @Test func deployWeightsKeepEveryDeclaredBlob() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("crema-export-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let run = root.appendingPathComponent("run"), snapshots = run.appendingPathComponent("snapshots")
        try FileManager.default.createDirectory(at: snapshots, withIntermediateDirectories: true)
        var deploy = Self.net
        deploy.layers[0] = LayerSpec(name: "data", kind: .input(InputParams(shapes: [[2, 2, 3, 3], [2]])), tops: ["data", "label"])
        let graph = try Compiler.compile(deploy, for: .test, store: ParameterStore(seed: 2))
        let snapshot = snapshots.appendingPathComponent("learners_iter_1.caffemodel")
        try Weights.write(graph, to: snapshot)
        let record = RunRecord(recipe: "learners", net: Self.net, solver: SolverPlan(baseLR: 0.1, iterations: 1), overrides: [])
        try SpecJSON.encoder().encode(record).write(to: run.appendingPathComponent("recipe.json"))

        let out = root.appendingPathComponent("deploy")
        let command = try #require(try ExperimentsCLI.parseAsRoot(["export", run.path, "--deploy", out.path,
                                                                   "--input-shape", "1,2,3,3"]) as? ExportCommand)
        try command.export()
        let model = try CaffeModel.read(from: out.appendingPathComponent("learners_iter_1.caffemodel"))
        #expect(model.layers.map(\.name) == ["prelu", "bn", "sc", "ip"])
        #expect(model.layers.map(\.blobs.count) == [1, 3, 2, 2])
        let text = try String(contentsOf: out.appendingPathComponent("deploy.prototxt"), encoding: .utf8)
        let again = try CaffeImport.parse(netText: text, file: "deploy.prototxt").net
        #expect(again.layers.map(\.kind.typeName) == ["Input", "PReLU", "BatchNorm", "Scale", "InnerProduct", "Softmax"])
    }
}
