import Foundation
import Testing
@testable import Experiments
import NetDSL
@testable import Runtime

extension ExperimentsSuite {
    @Suite(.serialized, .enabled(if: TestData.available, "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
    struct ResumeTests {
        static let common = ["--set", "solver.test_iter=2", "--set", "solver.test_interval=20",
                             "--set", "solver.display=0", "--quiet", "--threads", "2"]

        /// A run stopped at k and resumed to N ends with the same weights, byte for byte, as a run
        /// straight to N. Each run is its own process, as a user's would be.
        @Test func resumedRunMatchesAnUninterruptedOneBitForBit() throws {
            try TestData.ensureFashionMNIST()
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let first = root.appendingPathComponent("first"), resumed = root.appendingPathComponent("resumed")
            let straight = root.appendingPathComponent("straight")
            try TestData.runExecutable(["lenet", "--iterations", "25", "--seed", "3", "--results", first.path] + Self.common)
            try TestData.runExecutable(["lenet", "--iterations", "50", "--seed", "3", "--results", straight.path] + Self.common)
            let state = first.appendingPathComponent("lenet/latest/snapshots/lenet_iter_25.solverstate").resolvingSymlinksInPath()
            #expect(FileManager.default.fileExists(atPath: state.path))
            try TestData.runExecutable(["lenet", "--iterations", "50", "--resume", state.path, "--results", resumed.path] + Self.common)

            let a = try Data(contentsOf: resumed.appendingPathComponent("lenet/latest/snapshots/lenet_iter_50.caffemodel"))
            let b = try Data(contentsOf: straight.appendingPathComponent("lenet/latest/snapshots/lenet_iter_50.caffemodel"))
            #expect(a == b, "resumed and uninterrupted weights differ")
            let c = try Data(contentsOf: first.appendingPathComponent("lenet/latest/snapshots/lenet_iter_25.caffemodel"))
            #expect(a != c)

            let recipe = try String(contentsOf: resumed.appendingPathComponent("lenet/latest/recipe.json"), encoding: .utf8)
            #expect(recipe.contains("\"parent\""))
            #expect(recipe.contains("lenet_iter_25.solverstate"))
        }

        /// learned_net is written relative to the current folder when the run is inside it, as
        /// Caffe reads it; after the run folder moves, the weights are found beside the state.
        @Test func aMovedRunFolderStillResumes() throws {
            try TestData.ensureFashionMNIST()
            // Inside the current folder (the repository), as a user's results/ is.
            let folder = ".build-tests/resume-\(UUID().uuidString)"
            let results = URL(fileURLWithPath: folder)
            let moved = try TestData.temporaryDirectory()
            defer {
                try? FileManager.default.removeItem(at: results)
                try? FileManager.default.removeItem(at: moved)
            }
            try TestData.runExecutable(["lenet", "--iterations", "10", "--seed", "3", "--results", results.path] + Self.common)
            let run = results.appendingPathComponent("lenet/latest").resolvingSymlinksInPath()
            let state = try SolverStateFile.read(from: run.appendingPathComponent("snapshots/lenet_iter_10.solverstate"))
            #expect(state.learnedNet == folder + "/lenet/\(run.lastPathComponent)/snapshots/lenet_iter_10.caffemodel",
                    "relative to the current folder, where Caffe looks: \(state.learnedNet)")
            #expect(FileManager.default.fileExists(atPath: state.learnedNet))

            let elsewhere = moved.appendingPathComponent("run")
            try FileManager.default.moveItem(at: run, to: elsewhere)
            let movedState = elsewhere.appendingPathComponent("snapshots/lenet_iter_10.solverstate")
            try TestData.runExecutable(["lenet", "--iterations", "15", "--resume", movedState.path,
                                        "--results", moved.appendingPathComponent("results").path] + Self.common)
            #expect(FileManager.default.fileExists(atPath: moved.appendingPathComponent("results/lenet/latest/snapshots/lenet_iter_15.caffemodel").path))
            #expect(Snapshot.learnedNetPath(URL(fileURLWithPath: "/elsewhere/x.caffemodel"), from: "/work") == "/elsewhere/x.caffemodel")
            #expect(Snapshot.learnedNetPath(URL(fileURLWithPath: "/workshop/x.caffemodel"), from: "/work") == "/workshop/x.caffemodel")
            #expect(Snapshot.learnedNetPath(URL(fileURLWithPath: "/work/results/x.caffemodel"), from: "/work") == "results/x.caffemodel")
        }

        /// A Caffe solver's snapshot_prefix with a folder: the snapshots stay in the run folder,
        /// under the prefix's name, and the log says so.
        @Test func aSnapshotPrefixFolderIsNotUsedAndTheLogSaysSo() throws {
            try TestData.ensureFashionMNIST()
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            try TestData.train(["lenet", "--iterations", "5", "--seed", "3", "--results", root.path,
                                "--set", "solver.snapshot_prefix=examples/mnist/lenet_x"] + Self.common)
            let run = root.appendingPathComponent("lenet/latest").resolvingSymlinksInPath()
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("snapshots/lenet_x_iter_5.caffemodel").path))
            #expect(!FileManager.default.fileExists(atPath: "examples/mnist/lenet_x_iter_5.caffemodel"))
            let log = try String(contentsOf: run.appendingPathComponent("train.log"), encoding: .utf8)
            #expect(log.contains("snapshot_prefix \"examples/mnist/lenet_x\": snapshots go to this run's snapshots/ folder"), "\(log.prefix(3000))")
        }

        @Test func resumingWithTheWrongFileOrRecipeIsAClearError() throws {
            try TestData.ensureFashionMNIST()
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            try TestData.train(["lenet", "--iterations", "5", "--seed", "3", "--results", root.path] + Self.common)
            let snapshots = root.appendingPathComponent("lenet/latest/snapshots").resolvingSymlinksInPath()
            let model = snapshots.appendingPathComponent("lenet_iter_5.caffemodel")
            do {
                try TestData.train(["lenet", "--iterations", "10", "--resume", model.path, "--results", root.path] + Self.common)
                Issue.record("a .caffemodel was accepted for --resume")
            } catch let error as ModelFileError {
                #expect(error.description.contains(".solverstate"))
            }
            // The same snapshot under a net with other layers.
            let state = snapshots.appendingPathComponent("lenet_iter_5.solverstate")
            #expect(throws: (any Error).self) {
                try TestData.train(["lenet", "--iterations", "10", "--resume", state.path, "--results", root.path,
                                    "--set", "solver.type=Adam"] + Self.common)
            }
        }

        @Test func weightsStartAFineTuningRunByLayerName() throws {
            try TestData.ensureFashionMNIST()
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            try TestData.train(["lenet", "--iterations", "5", "--seed", "3", "--results", root.path] + Self.common)
            let model = root.appendingPathComponent("lenet/latest/snapshots/lenet_iter_5.caffemodel").resolvingSymlinksInPath()
            let tuned = root.appendingPathComponent("tuned")
            try TestData.train(["lenet", "--iterations", "1", "--weights", model.path, "--results", tuned.path] + Self.common)
            let log = try String(contentsOf: tuned.appendingPathComponent("lenet/latest/train.log"), encoding: .utf8)
            #expect(log.contains("Copying weights from \(model.path): loaded 4 of 4 layers (conv1, conv2, ip1, ip2)"))

            // A run folder means its newest snapshot.
            let fromRun = root.appendingPathComponent("from-run")
            try TestData.train(["lenet", "--iterations", "1", "--weights", root.appendingPathComponent("lenet/latest").path,
                                "--results", fromRun.path] + Self.common)
            let runLog = try String(contentsOf: fromRun.appendingPathComponent("lenet/latest/train.log"), encoding: .utf8)
            #expect(runLog.contains("Copying weights from \(model.path): loaded 4 of 4 layers"))

            // Weights of another net match nothing: an error, or with --allow-partial a warning.
            let otherNet = Net("other") {
                Input("data", shape: [1, 4])
                InnerProduct("fc_other", outputs: 2)
            }.spec
            let other = root.appendingPathComponent("other.caffemodel")
            try Weights.write(try Compiler.compile(otherNet, for: .test, store: ParameterStore()), to: other)
            let refused = root.appendingPathComponent("refused")
            do {
                try TestData.train(["lenet", "--iterations", "1", "--weights", other.path, "--results", refused.path] + Self.common)
                Issue.record("trained from weights that match no layer")
            } catch {
                // The command logs why and exits with a failure status.
                let logs = FileManager.default.enumerator(atPath: refused.path)?.compactMap { $0 as? String }
                    .filter { $0.hasSuffix("train.log") } ?? []
                let text = try logs.map { try String(contentsOf: refused.appendingPathComponent($0), encoding: .utf8) }.joined()
                #expect(text.contains("has weights for none of this net's 4 learnable layers (it has fc_other)"), "\(error): \(text)")
            }
            let partial = root.appendingPathComponent("partial")
            try TestData.train(["lenet", "--iterations", "1", "--weights", other.path, "--allow-partial",
                                "--results", partial.path] + Self.common)
            let partialLog = try String(contentsOf: partial.appendingPathComponent("lenet/latest/train.log"), encoding: .utf8)
            #expect(partialLog.contains("Warning: \(other.path) has weights for none of this net's 4 learnable layers"))
        }
    }
}
