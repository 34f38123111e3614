import Foundation
import Testing
@testable import Experiments
import NetDSL

extension ExperimentsSuite {
    /// Sweeps through the real executable: each run is a process of its own.
    @Suite(.serialized, .enabled(if: TestData.available, "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
    struct SweepRunTests {
        static func arguments(_ results: URL) -> [String] {
            ["lenet", "--results", results.path, "--iterations", "300", "--parallel", "2",
             "--set", "solver.base_lr=0.02,0.0005", "--set", "solver.momentum=0.9,0.5",
             "--set", "solver.test_interval=150", "--set", "solver.test_iter=20", "--set", "solver.snapshot=0"]
        }

        @Test func aKilledSweepIsFinishedByTheSameCommandWithFinishedRunsUntouched() throws {
            try TestData.ensureFashionMNIST()
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let sweeps = results.appendingPathComponent("lenet/sweeps")

            let process = Process()
            process.executableURL = binary
            process.arguments = Self.arguments(results)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { if process.isRunning { process.terminate() } }
            // Killed once a run has finished and the next ones have started and written a folder.
            var killedAt: SweepRecord?
            try TestData.waitFor("a finished run and a running one with its folder") {
                guard let record = try? SweepRecord.read(sweeps.appendingPathComponent("latest")) else { return false }
                killedAt = record
                return record.runs.contains { $0.status == .finished }
                    && record.runs.contains { $0.status == .running && $0.folder != nil }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let record = try #require(killedAt)
            let folder = sweeps.appendingPathComponent(record.id)
            // The runs that were going notice and stop with a snapshot (never left running on),
            // unless they reached their last iteration first.
            var running: [SweepRecord.Run] = []
            var endedAnyway: [SweepRecord.Run] = []
            for run in record.runs where run.status == .running && run.folder != nil {
                let summary = results.appendingPathComponent(try #require(run.folder)).appendingPathComponent("summary.json")
                var text = ""
                try TestData.waitFor("run \(run.number) to stop after its sweep was killed", timeout: 60) {
                    text = (try? String(contentsOf: summary, encoding: .utf8)) ?? ""
                    return text.contains("\"status\" : \"stopped\"") || text.contains("\"status\" : \"finished\"")
                }
                if text.contains("\"status\" : \"stopped\"") { running.append(run) } else { endedAnyway.append(run) }
            }
            let finished = try SweepRecord.read(folder).runs.filter { $0.status == .finished }
            let before = try finished.map { run in
                try Data(contentsOf: results.appendingPathComponent(try #require(run.folder)).appendingPathComponent("summary.json"))
            }

            let (status, output) = try TestData.capture(binary, Self.arguments(results))
            #expect(status == 0, "\(output)")
            #expect(output.contains("Resuming sweep \(record.id) (4 runs): \(finished.count + endedAnyway.count) finished"), "\(output)")
            let final = try SweepRecord.read(folder)
            #expect(final.runs.allSatisfy { $0.status == .finished }, "\(final.runs.map(\.status))")
            for (run, data) in zip(finished, before) {
                let now = final.runs[run.number - 1]
                #expect(now.folder == run.folder, "a finished run is not run again")
                let url = results.appendingPathComponent(try #require(run.folder)).appendingPathComponent("summary.json")
                #expect(try Data(contentsOf: url) == data)
            }
            for run in endedAnyway {
                #expect(final.runs[run.number - 1].folder == run.folder, "a run that finished while its sweep was down is kept")
            }
            for run in running {
                let now = final.runs[run.number - 1]
                #expect(now.earlier == [try #require(run.folder)], "the stopped attempt is kept as an earlier one")
                let log = try String(contentsOf: results.appendingPathComponent(try #require(now.folder)).appendingPathComponent("train.log"), encoding: .utf8)
                #expect(log.contains("Resuming from "), "run \(run.number) resumes from its snapshot")
            }
            // Every run says which sweep it belongs to, and how many threads it had.
            for run in final.runs {
                let environment = try String(contentsOf: results.appendingPathComponent(try #require(run.folder)).appendingPathComponent("environment.json"), encoding: .utf8)
                #expect(environment.contains("\"sweep\" : \"\(record.id)/\(run.number)\""))
            }
            #expect(output.contains("Winner: "), "\(output)")
            let (compared, table) = try TestData.capture(binary, ["compare", folder.path])
            #expect(compared == 0)
            #expect(table.contains("Sweep \(record.id): 4 runs (4 finished), ranked by test accuracy (highest first)"), "\(table)")
            #expect(table.contains("Winner: "))
            #expect(table.contains("#4"))
            // The rerun of a finished sweep runs nothing.
            let (again, againOutput) = try TestData.capture(binary, Self.arguments(results))
            #expect(again == 0)
            #expect(againOutput.contains("4 finished, 0 resume from their snapshots, 0 start"), "\(againOutput)")
        }

        @Test func aSwiftDeclaredExperimentRunsAndIsListedLikeARecipe() throws {
            try TestData.ensureFashionMNIST()
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let (listed, list) = try TestData.capture(binary, ["list"])
            #expect(listed == 0)
            #expect(list.contains("lenet-lr  LeNet at three learning rates and two momenta (a sweep of six runs) [6 runs]"), "\(list)")
            let (status, output) = try TestData.capture(binary, ["lenet-lr", "--results", results.path, "--iterations", "40", "--quiet",
                                                                 "--set", "solver.test_interval=40", "--set", "solver.test_iter=5"])
            #expect(status == 0, "\(output)")
            let record = try SweepRecord.read(results.appendingPathComponent("lenet-lr/sweeps/latest"))
            #expect(record.runs.count == 6)
            #expect(record.runs.allSatisfy { $0.status == .finished && $0.recipe == "lenet" && ($0.folder ?? "").hasPrefix("lenet/") })
            #expect(record.runs[1].settings == ["solver.max_iter=40", "solver.test_interval=40", "solver.test_iter=5",
                                                "solver.base_lr=0.02", "solver.momentum=0.95"])
            #expect(output.contains("rank  base_lr  momentum"), "\(output)")
            #expect(output.contains("Winner: base_lr="))
            // Its runs are ordinary runs of the recipe.
            let summary = try String(contentsOf: results.appendingPathComponent(try #require(record.runs[0].folder)).appendingPathComponent("summary.json"), encoding: .utf8)
            #expect(summary.contains("\"status\" : \"finished\""))
            #expect {
                try TestData.train(["lenet-lr", "--results", results.path, "--set", "solver.base_lr=0.1,0.2"])
            } throws: { error in
                "\(error)".contains("experiment lenet-lr declares its runs in Swift")
            }
        }

        @Test func aRunThatFailsIsReportedAndTheOthersGoOn() throws {
            try TestData.ensureFashionMNIST()
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            // A learning rate of 1e30 makes the loss infinite, which stops that run.
            let (status, output) = try TestData.capture(binary, ["lenet", "--results", results.path, "--iterations", "30", "--parallel", "1",
                                                                 "--set", "solver.base_lr=1e30,0.01", "--set", "solver.test_interval=30",
                                                                 "--set", "solver.test_iter=5"])
            #expect(status != 0, "a sweep with a failed run exits with an error")
            let record = try SweepRecord.read(results.appendingPathComponent("lenet/sweeps/latest"))
            #expect(record.runs.map(\.status) == [.failed, .finished])
            #expect(record.runs[0].error?.contains("NaN or infinite") == true, "\(record.runs[0].error ?? "")")
            #expect(output.contains("Run #1 failed: "), "\(output)")
            #expect(output.contains("Winner: base_lr=0.01"))
        }

        @Test func aBadSweepIsAnErrorBeforeAnythingRuns() throws {
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            for (arguments, message) in [
                (["--set", "solver.base_lr=0.01,fast"], "--set solver.base_lr=fast: expected a number"),
                (["--set", "solver.base_lr=log:1e-4..1e-1"], "a range is drawn from with --sample N"),
                (["--set", "solver.base_lr=\((1...9).map { "0.\($0)" }.joined(separator: ","))",
                  "--set", "solver.momentum=\((1...9).map { "0.\($0)" }.joined(separator: ","))"], "pass --yes"),
                (["--parallel", "2"], "--parallel runs the runs of a sweep side by side"),
                (["--set", "solver.base_lr=0.1,0.2", "--resume", "/tmp/x.solverstate"], "a sweep resumes by running the same command again"),
            ] {
                #expect {
                    try TestData.train(["lenet", "--results", results.path, "--quiet"] + arguments)
                } throws: { error in
                    "\(error)".contains(message)
                }
            }
            #expect(!FileManager.default.fileExists(atPath: results.appendingPathComponent("lenet").path), "nothing ran")
        }
    }
}
