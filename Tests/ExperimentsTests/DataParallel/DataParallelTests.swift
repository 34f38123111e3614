import Foundation
import NetDSL
import Testing
@testable import Experiments
@testable import Runtime

extension ExperimentsSuite {
    /// Training under `mpirun -np 2` on one machine, through the real executable.
    @Suite(.serialized, .enabled(if: TestData.available, "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
    struct DataParallelTests {
        static let common = ["--set", "solver.test_iter=5", "--set", "solver.test_interval=10",
                             "--set", "solver.display=5", "--set", "solver.snapshot=0", "--quiet", "--seed", "11"]
        /// Summation order is all that differs: two local means averaged against one mean of
        /// twice the batch, and the allreduce's order of addition. After 3 SGD steps that is a
        /// few float roundings (measured: 2.8e-7 of the largest weight); training amplifies it
        /// step by step (1e-4 after 30), so the weights are compared early.
        static let tolerance: Float = 1e-6
        static let steps = 3

        /// K = 2 ranks with local batch B reach the weights one process reaches with batch 2B,
        /// and the test scores split across the ranks add up to the one process's.
        @Test func twoRanksMatchOneProcessWithTheirCombinedBatch() throws {
            try TestData.ensureFashionMNIST()
            let mpirun = try #require(try TestData.mpirun(), "Open MPI's mpirun is needed")
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let one = root.appendingPathComponent("one"), two = root.appendingPathComponent("two")
            let global = root.appendingPathComponent("global")
            try TestData.runExecutable(["lenet", "--iterations", "\(Self.steps)", "--results", one.path, "--threads", "2",
                                        "--set", "data.train.batch_size=128"] + Self.common)
            let (status, output) = try TestData.capture(mpirun, TestData.mpirunArguments(ranks: 2) + [binary.path, "lenet", "--iterations", "\(Self.steps)", "--results", two.path] + Self.common)
            try #require(status == 0, "mpirun failed:\n\(output.suffix(4000))")
            // --global-batch splits 128 between the ranks whatever the recipe's batch.
            let (globalStatus, globalOutput) = try TestData.capture(mpirun, TestData.mpirunArguments(ranks: 2) + [binary.path, "lenet", "--iterations", "\(Self.steps)", "--results", global.path, "--global-batch", "128", "--set", "data.train.batch_size=7"] + Self.common)
            try #require(globalStatus == 0, "mpirun failed:\n\(globalOutput.suffix(4000))")

            let reference = try Self.weights(one)
            for run in [two, global] {
                let weights = try Self.weights(run)
                try #require(weights.count == reference.count)
                var worst: Float = 0
                for (a, b) in zip(weights, reference) {
                    try #require(a.count == b.count)
                    let scale = max(b.map(abs).max() ?? 0, 1e-6)
                    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y) / scale) }
                }
                #expect(worst <= Self.tolerance, "\(run.lastPathComponent): weights differ by \(worst) of their largest value")
                let summary = try Self.summary(run), single = try Self.summary(one)
                let accuracy = try #require(summary.finalTest["accuracy"]), expected = try #require(single.finalTest["accuracy"])
                #expect(abs(accuracy - expected) <= 0.002, "\(run.lastPathComponent): accuracy \(accuracy), one process \(expected)")
                #expect(summary.communication?.replicas == 2)
            }
            // Rank 0 alone writes: one run folder per run, which records both processes.
            let runs = try FileManager.default.contentsOfDirectory(atPath: two.appendingPathComponent("lenet").path).filter { $0 != "latest" }
            #expect(runs.count == 1, "\(runs)")
            let environment = try String(contentsOf: two.appendingPathComponent("lenet/latest/environment.json"), encoding: .utf8)
            #expect(environment.contains("\"processes\" : 2"))
            let log = try String(contentsOf: two.appendingPathComponent("lenet/latest/train.log"), encoding: .utf8)
            #expect(log.contains("Data-parallel training on 2 processes"))
            #expect(log.contains("global batch 128 = 2 x 64"))
            #expect(log.contains("hidden behind the backward pass"))
        }

        /// A run trained by two ranks resumes exactly on two, and is refused on one.
        @Test func resumeOnTwoRanksIsExactAndOnOneIsRefused() throws {
            try TestData.ensureFashionMNIST()
            let mpirun = try #require(try TestData.mpirun(), "Open MPI's mpirun is needed")
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let first = root.appendingPathComponent("first"), straight = root.appendingPathComponent("straight")
            let resumed = root.appendingPathComponent("resumed")
            let ranks = TestData.mpirunArguments(ranks: 2) + [binary.path, "lenet"]
            var (status, output) = try TestData.capture(mpirun, ranks + ["--iterations", "15", "--results", first.path] + Self.common)
            try #require(status == 0, "mpirun failed:\n\(output.suffix(4000))")
            (status, output) = try TestData.capture(mpirun, ranks + ["--iterations", "30", "--results", straight.path] + Self.common)
            try #require(status == 0, "mpirun failed:\n\(output.suffix(4000))")
            let state = first.appendingPathComponent("lenet/latest/snapshots/lenet_iter_15.solverstate").resolvingSymlinksInPath()
            (status, output) = try TestData.capture(mpirun, ranks + ["--iterations", "30", "--resume", state.path, "--results", resumed.path] + Self.common)
            try #require(status == 0, "mpirun failed:\n\(output.suffix(4000))")
            let a = try Data(contentsOf: resumed.appendingPathComponent("lenet/latest/snapshots/lenet_iter_30.caffemodel"))
            let b = try Data(contentsOf: straight.appendingPathComponent("lenet/latest/snapshots/lenet_iter_30.caffemodel"))
            #expect(a == b, "resumed and uninterrupted weights differ")

            (status, output) = try TestData.capture(binary, ["lenet", "--iterations", "30", "--resume", state.path,
                                                             "--results", resumed.path, "--quiet"])
            #expect(status != 0)
            #expect(output.contains("written by 2 processes training together"), "\(output.suffix(2000))")
            #expect(output.contains("mpirun -np 2"))
        }

        /// A rank killed mid-run ends the job within seconds, with mpirun naming the rank, and
        /// the snapshot written before stays whole.
        @Test func aKilledRankStopsTheOthersAndKeepsTheLastSnapshot() throws {
            try TestData.ensureFashionMNIST()
            let mpirun = try #require(try TestData.mpirun(), "Open MPI's mpirun is needed")
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let process = Process()
            process.executableURL = mpirun
            process.arguments = TestData.mpirunArguments(ranks: 2) + [binary.path, "lenet", "--iterations", "1000000", "--results", results.path,
                                                                      "--quiet", "--set", "solver.test_interval=0", "--set", "solver.snapshot=20"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            defer { if process.isRunning { kill(-process.processIdentifier, SIGKILL); process.terminate() } }
            let snapshots = results.appendingPathComponent("lenet/latest/snapshots")
            try TestData.waitFor("a snapshot") {
                ((try? FileManager.default.contentsOfDirectory(atPath: snapshots.path)) ?? []).contains { $0.hasSuffix(".solverstate") }
            }
            let rank1 = try #require(Self.rank(1, under: process.processIdentifier), "no rank 1 process under mpirun")
            kill(rank1, SIGKILL)
            let killed = Date()
            try TestData.waitFor("mpirun to end", timeout: 60) { !process.isRunning }
            let took = Date().timeIntervalSince(killed)
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus != 0)
            #expect(took < 30, "the job took \(took) s to end after rank 1 died")
            #expect(output.contains("rank 1"), "mpirun should name the rank that died:\n\(output.suffix(2000))")
            // Every snapshot left is whole: its weights and state read back.
            let files = try FileManager.default.contentsOfDirectory(atPath: snapshots.path).filter { $0.hasSuffix(".solverstate") }
            #expect(!files.isEmpty)
            for file in files {
                let snapshot = try Snapshot.read(snapshots.appendingPathComponent(file))
                _ = try CaffeModel.read(from: snapshot.weights)
                #expect(snapshot.resume?.replicas == 2)
            }
        }

        /// The process that mpirun (a child of `parent`) started as `rank`, found by the
        /// OMPI_COMM_WORLD_RANK in its environment.
        static func rank(_ rank: Int, under parent: Int32) -> Int32? {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
            for entry in entries {
                guard let pid = Int32(entry), pid != parent,
                      let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
                let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                guard variables.contains("OMPI_COMM_WORLD_RANK=\(rank)"),
                      let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { continue }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                if fields.count > 1, Int32(fields[1]) == parent { return pid }
            }
            return nil
        }

        static func weights(_ results: URL) throws -> [[Float]] {
            let file = results.appendingPathComponent("lenet/latest/snapshots/lenet_iter_\(steps).caffemodel")
            return try CaffeModel.read(from: file).layers.flatMap { $0.blobs.map(\.data) }
        }

        static func summary(_ results: URL) throws -> TrainingSummary {
            let data = try Data(contentsOf: results.appendingPathComponent("lenet/latest/summary.json"))
            return try #require(try SpecJSON.decoder().decode(SummaryRecord.self, from: data).summary)
        }
    }
}
