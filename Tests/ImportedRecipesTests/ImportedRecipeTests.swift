import Foundation
import Testing
@testable import NetDSL
@testable import Recipes
@testable import Runtime

/// Caffe's own prototxts (the fixtures) through `experiments import`: the recipes it wrote are
/// checked in under Imported/, and these tests hold them to the importer and to our hand-written
/// recipes.
@Suite struct ImportedRecipeTests {
    static let fixtures = "Tests/RuntimeTests/Fixtures/caffe"

    struct Case: CustomTestStringConvertible, Sendable {
        var typeName: String
        var solver: String
        var v1Net: String
        var written: @Sendable () -> (net: NetSpec, solver: SolverPlan)
        var handWritten: @Sendable () -> (net: NetSpec, solver: SolverPlan)
        /// The data blob's shape per image, for compiling without the databases.
        var image: [Int]
        var handWrittenName: String
        var testDescription: String { typeName }
    }

    static let cases = [
        Case(typeName: "ImportedLeNet", solver: "\(fixtures)/examples/mnist/lenet_solver.prototxt",
             v1Net: "\(fixtures)/v1/lenet_train_test.prototxt",
             written: { (ImportedLeNet().net.spec, ImportedLeNet().solver) },
             handWritten: { (LeNet().net.spec, LeNet().solver) }, image: [1, 28, 28], handWrittenName: LeNet.name),
        Case(typeName: "ImportedCaffeNet", solver: "\(fixtures)/models/bvlc_reference_caffenet/solver.prototxt",
             v1Net: "\(fixtures)/v1/caffenet_train_val.prototxt",
             written: { (ImportedCaffeNet().net.spec, ImportedCaffeNet().solver) },
             handWritten: { (CaffeNet().net.spec, CaffeNet().solver) }, image: [3, 227, 227],
             handWrittenName: CaffeNet.name),
    ]

    /// What `experiments import --solver SOLVER --name TYPE` reads and writes, from the package
    /// folder (where `swift test` runs).
    static func importAndWrite(_ c: Case) throws -> (imported: CaffeImport, text: String) {
        let imported = try CaffeImport.load(solver: c.solver)
        let source = RecipeSource.imported(typeName: c.typeName, net: imported.net, solver: imported.solver,
                                           files: [c.solver], notes: imported.notes)
        return (imported, try source.text())
    }

    @Test(arguments: cases)
    func theCheckedInRecipeIsWhatImportWritesToday(_ c: Case) throws {
        let (_, text) = try Self.importAndWrite(c)
        try CheckedIn.expectFile("Imported/\(c.typeName).swift", toBe: text, """
            Write it again with: swift run experiments import --solver \(c.solver) \
            --name \(c.typeName) --output Tests/ImportedRecipesTests/Imported --force
            """)
    }

    @Test(arguments: cases)
    func theRecipeCompilesBackToWhatTheImporterReads(_ c: Case) throws {
        let (imported, _) = try Self.importAndWrite(c)
        let written = c.written()
        #expect(written.net == RecipeSource.chained(imported.net))
        for phase in Phase.allCases {
            #expect(try written.net.resolved(for: phase) == imported.net.resolved(for: phase))
        }
        #expect(written.solver == imported.solver)
    }

    @Test(arguments: cases)
    func theV1PrototxtGivesTheSameRecipe(_ c: Case) throws {
        let v1 = try CaffeImport.load(net: c.v1Net)
        #expect(RecipeSource.chained(v1.net) == c.written().net)
    }

    /// The same net as our hand-written recipe once the things that differ on purpose are set
    /// aside: database paths and mean file (Caffe's examples/ folders against our data/ folders),
    /// the data layers' names (LeNet's are "mnist" in Caffe) and the snapshot prefix's folder
    /// (only its last component is used; none means the recipe's name, `name`).
    static func normalised(_ net: NetSpec, _ plan: SolverPlan, name: String) -> (NetSpec, SolverPlan) {
        var net = net
        for i in net.layers.indices {
            guard case .data(var p) = net.layers[i].kind else { continue }
            p.source = "<\(net.layers[i].phase.map(\.rawValue) ?? "any") database>"
            p.transform.meanFile = p.transform.meanFile.map { _ in "<mean file>" }
            net.layers[i].kind = .data(p)
            net.layers[i].name = "data"
        }
        var plan = plan
        plan.snapshotPrefix = plan.snapshotPrefix.map { URL(fileURLWithPath: $0).lastPathComponent } ?? name
        return (net, plan)
    }

    @Test(arguments: cases)
    func theImportedNetIsOurHandWrittenRecipe(_ c: Case) throws {
        let (net, plan) = Self.normalised(c.written().net, c.written().solver, name: c.typeName.lowercased())
        let (ours, ourPlan) = Self.normalised(c.handWritten().net, c.handWritten().solver, name: c.handWrittenName)
        // Every layer, its kind and settings (fillers included), inputs, outputs, phase and multipliers.
        for phase in Phase.allCases {
            let a = try net.resolved(for: phase).layers, b = try ours.resolved(for: phase).layers
            #expect(a.map(\.name) == b.map(\.name))
            for (x, y) in zip(a, b) { #expect(x == y, "\(phase): \(x.name)") }
        }
        #expect(plan == ourPlan)
    }

    /// The data layers as inputs of one image (no databases here; CompilerTests does the same),
    /// and fully connected layers at most 64 wide in both nets alike, so that a debug build does
    /// not fill CaffeNet's 60 million weights twice over; their widths are compared exactly, as
    /// settings, by `theImportedNetIsOurHandWrittenRecipe`.
    static func compilable(_ net: NetSpec, image: [Int]) -> NetSpec {
        var net = net
        for i in net.layers.indices {
            switch net.layers[i].kind {
            case .data:
                net.layers[i].kind = .input(InputParams(shapes: [[1] + image, [1]]))
                net.layers[i].name = "data"
            case .innerProduct(var p):
                p.numOutput = min(p.numOutput, 64)
                net.layers[i].kind = .innerProduct(p)
            default: break
            }
        }
        return net
    }

    @Test(arguments: cases)
    func bothCompileToTheSameGraphs(_ c: Case) throws {
        // One store for both nets: the second net finds every parameter the first made, by the
        // same name and of the same shape, or compiling it fails.
        let store = ParameterStore(seed: 1)
        let ours = Self.compilable(c.handWritten().net, image: c.image)
        let imported = Self.compilable(c.written().net, image: c.image)
        for phase in Phase.allCases {
            let a = try Compiler.compile(ours, for: phase, store: store)
            let count = store.parameters.count
            let b = try Compiler.compile(imported, for: phase, store: store)
            #expect(store.parameters.count == count, "the imported net made parameters ours has not")
            #expect(a.layers.map(\.spec.name) == b.layers.map(\.spec.name))
            #expect(a.layers.map(\.spec.kind.typeName) == b.layers.map(\.spec.kind.typeName))
            #expect(a.blobs.mapValues(\.shape) == b.blobs.mapValues(\.shape))
            #expect(a.outputs.map(\.name) == b.outputs.map(\.name))
            #expect(a.outputs.map(\.lossWeight) == b.outputs.map(\.lossWeight))
            for (x, y) in zip(a.layers, b.layers) {
                #expect(x.parameters.count == y.parameters.count)
                for (p, q) in zip(x.parameters, y.parameters) { #expect(p === q, "\(phase): \(x.spec.name)") }
            }
        }
        #expect(store.parameters.count == (c.typeName == "ImportedLeNet" ? 8 : 16))
    }
}
