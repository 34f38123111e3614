import Foundation
import Testing
@testable import NetDSL
@testable import Recipes
@testable import Runtime

/// Caffe's published CaffeNet and LeNet files import to the nets our hand-written recipes
/// describe: the same layers in order, kinds with all their settings (fillers included),
/// bottoms and tops, lr and decay multipliers, phases, compiled shapes, and the same solver.
///
/// Compared after normalising what differs by nature, and only that: Data layer sources (Caffe's
/// examples/ paths, the recipes' data/ paths), LeNet's data layer name (Caffe's "mnist", the
/// recipe's "data") and snapshot_prefix (Caffe's full path, the recipe's last component or none).
@Suite struct CaffeImportRecipeTests {
    static func normalised(_ net: NetSpec) -> NetSpec {
        var net = net
        for i in net.layers.indices {
            if case .data(var p) = net.layers[i].kind {
                p.source = "<source>"
                net.layers[i].kind = .data(p)
                net.layers[i].name = "data"
            }
        }
        return net
    }

    static func constantFillers(_ net: NetSpec) -> NetSpec {
        var net = net
        for i in net.layers.indices {
            switch net.layers[i].kind {
            case .convolution(var p):
                (p.weightFiller, p.biasFiller) = (.zero, .zero)
                net.layers[i].kind = .convolution(p)
            case .innerProduct(var p):
                (p.weightFiller, p.biasFiller) = (.zero, .zero)
                net.layers[i].kind = .innerProduct(p)
            default: break
            }
        }
        return net
    }

    static func caffeNetInputs(_ phase: Phase?) -> [[Int]] {
        phase == .train ? [[2, 3, 227, 227], [2]] : [[1, 3, 227, 227], [1]]
    }

    static func leNetInputs(_ phase: Phase?) -> [[Int]] {
        phase == .train ? [[3, 1, 28, 28], [3]] : [[2, 1, 28, 28], [2]]
    }

    /// Resolved layers equal, phase by phase.
    func expectSameSpec(_ imported: NetSpec, _ recipe: NetSpec) throws {
        let imported = Self.normalised(imported), recipe = Self.normalised(recipe)
        #expect(imported.name == recipe.name)
        for phase in Phase.allCases {
            let a = try imported.resolved(for: phase).layers, b = try recipe.resolved(for: phase).layers
            #expect(a.map(\.name) == b.map(\.name), "\(phase)")
            for (x, y) in zip(a, b) {
                #expect(x == y, "\(phase) layer \(x.name): imported \(x) recipe \(y)")
            }
        }
    }

    /// Compiled graphs equal: layers (splits included) with types, bottoms and tops, every blob's
    /// shape, the outputs and their loss weights, and each layer's parameter shapes.
    func expectSameGraphs(_ imported: NetSpec, _ recipe: NetSpec, inputs: (Phase?) -> [[Int]],
                          importedStore: ParameterStore, recipeStore: ParameterStore) throws {
        for phase in Phase.allCases {
            let g = try Compiler.compile(CaffeFixtures.withInputs(Self.normalised(imported), inputs), for: phase, store: importedStore)
            let r = try Compiler.compile(CaffeFixtures.withInputs(Self.normalised(recipe), inputs), for: phase, store: recipeStore)
            func describe(_ graph: Graph) -> [String] {
                graph.layers.map { "\($0.spec.name) \($0.spec.kind.typeName) \($0.spec.bottoms) -> \($0.spec.tops) \($0.parameters.map(\.shape))" }
            }
            #expect(describe(g) == describe(r), "\(phase)")
            #expect(g.blobs.mapValues(\.shape) == r.blobs.mapValues(\.shape), "\(phase)")
            #expect(g.outputs.map(\.name) == r.outputs.map(\.name), "\(phase)")
            #expect(g.outputs.map(\.lossWeight) == r.outputs.map(\.lossWeight), "\(phase)")
        }
    }

    @Test func leNetTrainTestMatchesTheRecipe() throws {
        let imported = try CaffeImport.load(net: CaffeFixtures.path("examples/mnist/lenet_train_test.prototxt"))
        let recipe = LeNet().net.spec
        #expect(imported.solver == nil)
        #expect(imported.notes.isEmpty, "\(imported.notes)")
        // What normalisation hides is what Caffe wrote.
        let sources = imported.net.layers.compactMap { layer -> String? in
            if case .data(let p) = layer.kind { return "\(layer.name) \(p.source)" }
            return nil
        }
        #expect(sources == ["mnist examples/mnist/mnist_train_lmdb", "mnist examples/mnist/mnist_test_lmdb"])
        try expectSameSpec(imported.net, recipe)

        // Separate stores with one seed: equal fillers give equal initial values.
        let importedStore = ParameterStore(seed: 7), recipeStore = ParameterStore(seed: 7)
        try expectSameGraphs(imported.net, recipe, inputs: Self.leNetInputs,
                             importedStore: importedStore, recipeStore: recipeStore)
        #expect(importedStore.parameters.map(\.key) == recipeStore.parameters.map(\.key))
        for (a, b) in zip(importedStore.parameters, recipeStore.parameters) {
            #expect(a.tensor.values == b.tensor.values, "\(a.key)")
            #expect(a.lrMult == b.lrMult && a.decayMult == b.decayMult, "\(a.key)")
        }
    }

    @Test func caffeNetTrainValMatchesTheRecipe() throws {
        let imported = try CaffeImport.load(net: CaffeFixtures.path("models/bvlc_reference_caffenet/train_val.prototxt"))
        let recipe = CaffeNet().net.spec
        #expect(imported.notes.isEmpty, "\(imported.notes)")
        let transforms = imported.net.layers.compactMap { layer -> TransformParams? in
            if case .data(let p) = layer.kind { return p.transform }
            return nil
        }
        #expect(transforms.map(\.meanFile) == ["data/ilsvrc12/imagenet_mean.binaryproto", "data/ilsvrc12/imagenet_mean.binaryproto"])
        #expect(transforms.map(\.mirror) == [true, false])
        try expectSameSpec(imported.net, recipe)

        // One store for both: a parameter the import names or shapes differently would be a new
        // blob or a shape error. The fillers were compared with the specs; the graphs get
        // constant ones, so a debug build need not draw CaffeNet's 61M random values.
        let store = ParameterStore(seed: 7)
        try expectSameGraphs(Self.constantFillers(imported.net), Self.constantFillers(recipe),
                             inputs: Self.caffeNetInputs, importedStore: store, recipeStore: store)
        #expect(store.parameters.count == 16)
    }

    @Test func v1FormsImportToTheSameSpecs() throws {
        for (v1, current) in [("v1/lenet_train_test.prototxt", "examples/mnist/lenet_train_test.prototxt"),
                              ("v1/caffenet_train_val.prototxt", "models/bvlc_reference_caffenet/train_val.prototxt")] {
            let old = try CaffeImport.load(net: CaffeFixtures.path(v1))
            let new = try CaffeImport.load(net: CaffeFixtures.path(current))
            #expect(old.net == new.net, "\(v1)")
            #expect(old.notes.isEmpty, "\(old.notes)")
        }
    }

    @Test func leNetSolverMatchesTheRecipe() throws {
        let path = CaffeFixtures.path("examples/mnist/lenet_solver.prototxt")
        let imported = try CaffeImport.load(solver: path)
        try expectSameSpec(imported.net, LeNet().net.spec)
        var plan = try #require(imported.solver)
        #expect(plan.snapshotPrefix == "examples/mnist/lenet")
        plan.snapshotPrefix = nil
        #expect(plan == LeNet().solver)
        let modeLine = try CaffeFixtures.line(of: "solver_mode: GPU", in: "examples/mnist/lenet_solver.prototxt")
        #expect(imported.notes.count == 1)
        #expect(imported.notes.first?.hasPrefix("\(path):\(modeLine): solver: 'solver_mode: GPU' ignored") == true, "\(imported.notes)")
    }

    @Test func solverModeCPUIsWhatCremaDoesAndGetsNoNote() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crema-mode-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = try String(contentsOfFile: CaffeFixtures.path("examples/mnist/lenet_solver.prototxt"), encoding: .utf8)
        try FileManager.default.copyItem(atPath: CaffeFixtures.path("examples/mnist/lenet_train_test.prototxt"),
                                         toPath: folder.appendingPathComponent("lenet_train_test.prototxt").path)
        let solver = folder.appendingPathComponent("solver.prototxt")
        try original.replacingOccurrences(of: "solver_mode: GPU", with: "solver_mode: CPU")
            .replacingOccurrences(of: "examples/mnist/lenet_train_test.prototxt", with: "lenet_train_test.prototxt")
            .write(to: solver, atomically: true, encoding: .utf8)
        let imported = try CaffeImport.load(solver: solver.path)
        #expect(imported.notes.isEmpty, "\(imported.notes)")
    }

    @Test func caffeNetSolverMatchesTheRecipe() throws {
        let imported = try CaffeImport.load(solver: CaffeFixtures.path("models/bvlc_reference_caffenet/solver.prototxt"))
        try expectSameSpec(imported.net, CaffeNet().net.spec)
        var plan = try #require(imported.solver)
        #expect(plan.snapshotPrefix == "models/bvlc_reference_caffenet/caffenet_train")
        plan.snapshotPrefix = plan.snapshotPrefix.map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(plan == CaffeNet().solver)
    }
}
