import Foundation
import Testing
@testable import Experiments
@testable import Runtime

extension ExperimentsSuite {
    /// Stopping, snapshotting on request and failing cleanly, through the real executable.
    @Suite(.serialized, .enabled(if: TestData.available, "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
    struct RunControlTests {
        @Test func interruptSnapshotsAndStopsAndHangupSnapshotsAndGoesOn() throws {
            try TestData.ensureFashionMNIST()
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let process = Process()
            process.executableURL = binary
            process.arguments = ["lenet", "--iterations", "1000000", "--results", results.path, "--quiet",
                                 "--set", "solver.test_interval=0", "--set", "solver.test_iter=1", "--threads", "1"]
            process.currentDirectoryURL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            try process.run()
            defer { if process.isRunning { process.terminate() } }
            let run = results.appendingPathComponent("lenet/latest")
            let log = run.appendingPathComponent("train.log")
            try TestData.waitFor("training to start") {
                ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("] Solving LeNet")
            }
            Thread.sleep(forTimeInterval: 1)
            kill(process.processIdentifier, SIGHUP)
            let snapshots = run.appendingPathComponent("snapshots")
            try TestData.waitFor("the SIGHUP snapshot") {
                ((try? FileManager.default.contentsOfDirectory(atPath: snapshots.path)) ?? []).contains { $0.hasSuffix(".solverstate") }
            }
            #expect(process.isRunning, "SIGHUP must not stop the run")
            kill(process.processIdentifier, SIGINT)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            let summary = try String(contentsOf: run.appendingPathComponent("summary.json"), encoding: .utf8)
            #expect(summary.contains("\"status\" : \"stopped\""))
            let files = try FileManager.default.contentsOfDirectory(atPath: snapshots.path)
            #expect(files.filter { $0.hasSuffix(".caffemodel") }.count == 2, "\(files)")
            let text = try String(contentsOf: log, encoding: .utf8)
            #expect(text.contains("Optimization stopped early at iteration"))
        }

        @Test func aNonFiniteLossStopsTheRunNamingTheLayer() throws {
            try TestData.ensureFashionMNIST()
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            #expect(throws: (any Error).self) {
                try TestData.train(["lenet", "--iterations", "50", "--results", results.path, "--quiet", "--seed", "1",
                                    "--set", "solver.base_lr=1e30", "--set", "solver.test_interval=0"])
            }
            let run = results.appendingPathComponent("lenet/latest")
            let summary = try String(contentsOf: run.appendingPathComponent("summary.json"), encoding: .utf8)
            #expect(summary.contains("\"status\" : \"failed\""))
            #expect(summary.contains("NaN or infinite at iteration"))
            #expect(summary.contains("first non-finite output: layer '"))
            #expect(summary.contains("Recipes/LeNet.swift:"))
        }

        /// The log reads back with the patterns of Caffe's tools/extra/parse_log.py and the
        /// timestamps of extract_seconds.py.
        @Test func logParsesWithCaffesPatterns() throws {
            try TestData.ensureFashionMNIST()
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            try TestData.train(["lenet", "--iterations", "20", "--results", results.path, "--quiet", "--seed", "2",
                                "--set", "solver.display=10", "--set", "solver.test_interval=10", "--set", "solver.test_iter=3"])
            let log = try String(contentsOf: results.appendingPathComponent("lenet/latest/train.log"), encoding: .utf8)
            let iteration = try Regex(#"Iteration (\d+)"#)
            let trainOutput = try Regex(#"Train net output #(\d+): (\S+) = ([\.\deE+-]+)"#)
            let testOutput = try Regex(#"Test net output #(\d+): (\S+) = ([\.\deE+-]+)"#)
            let rate = try Regex(#"lr = ([-+]?[0-9]*\.?[0-9]+([eE]?[-+]?[0-9]+)?)"#)
            let prefix = try Regex(#"^[IWEF](\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2}\.\d+) "#)
            var iterations: [Int] = [], trainLosses: [Double] = [], accuracies: [Double] = [], rates: [Double] = []
            for line in log.split(separator: "\n") {
                #expect(line.firstMatch(of: prefix) != nil, "no glog prefix: \(line)")
                if let m = line.firstMatch(of: iteration), let n = Int(m.output[1].substring ?? "") { iterations.append(n) }
                if let m = line.firstMatch(of: trainOutput), let v = Double(m.output[3].substring ?? "") { trainLosses.append(v) }
                if let m = line.firstMatch(of: testOutput), m.output[2].substring == "accuracy",
                   let v = Double(m.output[3].substring ?? "") { accuracies.append(v) }
                if let m = line.firstMatch(of: rate), let v = Double(m.output[1].substring ?? "") { rates.append(v) }
            }
            #expect(Set(iterations).isSuperset(of: [0, 10, 20]))
            #expect(trainLosses.count == 2)
            #expect(accuracies.count == 3)
            #expect(rates.first == 0.01)
            #expect(accuracies.allSatisfy { (0...1).contains($0) })
        }
    }
}
