import Foundation
import Testing
@testable import Experiments
@testable import NetDSL
@testable import Runtime

extension ExperimentsSuite {
    /// `experiments import` through the built executable, and `train --solver` on a Caffe solver.
    @Suite(.serialized) struct ImportCommandTests {
        static let fixtures = "Tests/RuntimeTests/Fixtures/caffe"
        static let leNetSolver = "\(fixtures)/examples/mnist/lenet_solver.prototxt"

        /// Runs the executable; its exit status and everything it printed (stdout and stderr).
        static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let (status, output) = try TestData.capture(binary, arguments)
            return (status, output)
        }

        @Test func importWritesTheRecipeSaysToRebuildAndRefusesToOverwrite() throws {
            let folder = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let arguments = ["import", "--solver", Self.leNetSolver, "--name", "MyLeNet", "--output", folder.path]
            let first = try Self.run(arguments)
            #expect(first.status == 0, "\(first.output)")
            let file = folder.appendingPathComponent("MyLeNet.swift")
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(text.hasPrefix("// MyLeNet: Caffe's net \"LeNet\", written by `experiments import` from\n//   \(Self.leNetSolver)\n"))
            #expect(text.contains("struct MyLeNet: Recipe {"))
            #expect(text.contains(#"Convolution("conv1", outputs: 20, kernel: 5).weights(.xavier)"#))
            #expect(first.output.contains("Wrote \(file.path) (recipe 'mylenet'). Rebuild to use it: swift run -c release experiments mylenet"))
            #expect(first.output.contains("experiments train --solver \(Self.leNetSolver)"))
            #expect(first.output.contains("Note: \(Self.leNetSolver):25: "), "the importer's notes are printed")
            // The same bytes the test target's checked-in recipes are held to.
            let (source, _) = try ImportCommand.recipe(net: nil, solver: Self.leNetSolver, typeName: "MyLeNet")
            #expect(try source.text() == text)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["MyLeNet.swift"],
                    "no temporary file is left behind")

            try Data("// edited\n".utf8).write(to: file)
            let again = try Self.run(arguments)
            #expect(again.status != 0)
            #expect(again.output.contains("MyLeNet.swift exists already; pass --force to replace it"))
            #expect(try String(contentsOf: file, encoding: .utf8) == "// edited\n")
            let forced = try Self.run(arguments + ["--force"])
            #expect(forced.status == 0, "\(forced.output)")
            #expect(try String(contentsOf: file, encoding: .utf8) == text)
        }

        @Test func aNetWithoutSolverGetsAMarkedPlaceholderPlan() throws {
            let folder = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let result = try Self.run(["import", "\(Self.fixtures)/examples/mnist/lenet_train_test.prototxt",
                                       "--name", "NetOnly", "--output", folder.path])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("placeholder"))
            let text = try String(contentsOf: folder.appendingPathComponent("NetOnly.swift"), encoding: .utf8)
            #expect(text.contains("these numbers are placeholders"))
        }

        @Test func aNetAndASolverGiveThatNetWithTheSolversSettings() throws {
            let folder = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let net = "\(Self.fixtures)/v1/lenet_train_test.prototxt"
            let result = try Self.run(["import", net, "--solver", Self.leNetSolver, "--name", "Both", "--output", folder.path])
            #expect(result.status == 0, "\(result.output)")
            let text = try String(contentsOf: folder.appendingPathComponent("Both.swift"), encoding: .utf8)
            #expect(text.contains("//   \(Self.leNetSolver)\n//   \(net)\n"))
            #expect(text.contains("policy: .inv(gamma: 1e-4, power: 0.75)"))
            #expect(!text.contains("placeholder"))
        }

        @Test func namesThatClashAreErrorsThatSayToPassName() throws {
            let folder = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            // The net is called "LeNet", and so is our recipe.
            let recipe = try Self.run(["import", "--solver", Self.leNetSolver, "--output", folder.path])
            #expect(recipe.status != 0)
            #expect(recipe.output.contains("there is a recipe LeNet named 'lenet' already; pass --name"))
            let verb = try Self.run(["import", "--solver", Self.leNetSolver, "--name", "List", "--output", folder.path])
            #expect(verb.status != 0)
            #expect(verb.output.contains("'list', which is a command of experiments; pass --name"))
            let dsl = try Self.run(["import", "--solver", Self.leNetSolver, "--name", "Pooling", "--output", folder.path])
            #expect(dsl.status != 0)
            #expect(dsl.output.contains("'Pooling' cannot name a recipe type"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
        }

        @Test func aBadPrototxtIsAnErrorNamingItsLine() throws {
            let folder = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let bad = folder.appendingPathComponent("bad.prototxt")
            try Data("name: \"Bad\"\nlayer {\n  name: \"x\"\n  type: \"NoSuchLayer\"\n  top: \"x\"\n}\n".utf8).write(to: bad)
            let result = try Self.run(["import", bad.path, "--name", "Bad", "--output", folder.path])
            #expect(result.status != 0)
            #expect(result.output.contains("\(bad.path):4: layer 'x' (NoSuchLayer)"), "\(result.output)")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("Bad.swift").path))
            let train = try Self.run(["train", "--solver", bad.path, "--results", folder.path])
            #expect(train.status != 0)
            #expect(train.output.contains("\(bad.path):1: solver:"), "\(train.output)")
        }

        @Test func trainTakesARecipeOrASolverButNotBoth() throws {
            for arguments in [["train"], ["train", "lenet", "--solver", Self.leNetSolver]] {
                let command = try #require(try ExperimentsCLI.parseAsRoot(arguments) as? TrainCommand)
                #expect(throws: CLIError.self) { try command.options.resolve() }
            }
            let command = try #require(try ExperimentsCLI.parseAsRoot(["time", "--solver", Self.leNetSolver,
                                                                       "--set", "solver.max_iter=7"]) as? TimeCommand)
            let (name, net, plan, _) = try command.options.resolve()
            #expect(name == "lenet")
            #expect(net == (try CaffeImport.load(solver: Self.leNetSolver)).net)
            #expect(plan.iterations == 7)
            #expect(RecipeOptions.runName(net: "VGG_ILSVRC 16", solver: "x/solver.prototxt") == "vgg_ilsvrc_16")
            #expect(RecipeOptions.runName(net: "", solver: "x/my_solver.prototxt") == "my_solver")
        }

        @Test(.enabled(if: TestData.available, "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
        func trainRunsACaffeSolverAsItIs() throws {
            try TestData.ensureFashionMNIST()
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            try TestData.train(["--solver", Self.leNetSolver, "--iterations", "20", "--seed", "4", "--quiet",
                                "--results", results.path,
                                "--set", "data.train.source=data/fashion-mnist/train_lmdb",
                                "--set", "data.test.source=data/fashion-mnist/test_lmdb",
                                "--set", "solver.test_interval=20", "--set", "solver.test_iter=2"])
            let run = results.appendingPathComponent("lenet/latest")
            let summary = try String(contentsOf: run.appendingPathComponent("summary.json"), encoding: .utf8)
            #expect(summary.contains("\"status\" : \"finished\""))
            let record = try SpecJSON.decoder().decode(RunRecord.self, from: Data(contentsOf: run.appendingPathComponent("recipe.json")))
            #expect(record.recipe == "lenet")
            #expect(record.solverFile == URL(fileURLWithPath: Self.leNetSolver).standardizedFileURL.path)
            #expect(record.solver.iterations == 20)
            #expect(record.net.layers.first?.name == "mnist", "Caffe's net, not our recipe's")
            // Caffe's snapshot_prefix examples/mnist/lenet names the snapshots.
            let snapshots = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("snapshots").path)
            #expect(snapshots.sorted() == ["lenet_iter_20.caffemodel", "lenet_iter_20.solverstate"])
            let log = try String(contentsOf: run.appendingPathComponent("train.log"), encoding: .utf8)
            #expect(log.contains("Test net output #0: accuracy"))
        }
    }
}
