import Foundation
import Testing
@testable import Experiments
import NetDSL

extension ExperimentsSuite {
    @Suite struct RunRecorderTests {
        final class Screen: @unchecked Sendable {
            var text = ""
        }

        @Test func aTerminalGetsOneLiveLineWithTheLatestTestScoreAndTheLogKeepsEveryLine() throws {
            let folder = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let screen = Screen()
            let recorder = try RunRecorder(folder: folder, interactive: true) { screen.text += $0 }
            recorder.log("Iteration 100 (10 iter/s, 10.000s/100 iters), loss = 0.5", source: "solver.cpp:218")
            recorder.log("Iteration 100, lr = 0.01", source: "sgd_solver.cpp:138")
            recorder.metric(iteration: 100, phase: .test, name: "accuracy", value: 0.8125)
            recorder.metric(iteration: 100, phase: .test, name: "loss", value: 0.51)
            recorder.log("    Test net output #0: accuracy = 0.8125", source: "solver.cpp:414")
            recorder.progress(iteration: 150, of: 200, loss: 0.4321, imagesPerSecond: 900)
            recorder.finish()

            #expect(!screen.text.contains("Iteration 100"), "routine lines are left to the live line: \(screen.text)")
            #expect(screen.text.contains("Test net output #0: accuracy = 0.8125"))
            let live = try #require(screen.text.components(separatedBy: "\r").first { $0.hasPrefix("[") })
            #expect(live.contains("150/200"))
            #expect(live.contains("loss 0.4321"))
            #expect(live.contains("accuracy 0.8125 @100"), "\(live)")
            #expect(live.contains("ETA"))
            let log = try String(contentsOf: folder.appendingPathComponent("train.log"), encoding: .utf8)
            #expect(log.contains("] Iteration 100 (10 iter/s"))
            #expect(log.contains("] Iteration 100, lr = 0.01"))
        }

        @Test func errorsArePlainOnATerminalAndErrorLevelInALog() throws {
            let folder = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let screen = Screen()
            let terminal = try RunRecorder(folder: folder, echo: false, interactive: true) { screen.text += $0 }
            terminal.error("Training failed: no database at x", source: "experiments.swift:2")
            terminal.finish()
            #expect(screen.text == "error: Training failed: no database at x\n", "even with --quiet")
            let log = try String(contentsOf: folder.appendingPathComponent("train.log"), encoding: .utf8)
            #expect(log.hasPrefix("E"), "\(log)")
            #expect(log.contains("experiments.swift:2] Training failed: no database at x"))

            let piped = Screen()
            let pipe = try RunRecorder(folder: nil, interactive: false) { piped.text += $0 }
            pipe.log("Iteration 100, lr = 0.01", source: "sgd_solver.cpp:138")
            pipe.error("Training failed: x", source: "experiments.swift:2")
            let lines = piped.text.split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.first?.hasPrefix("I") == true, "a log keeps Caffe's lines")
            #expect(lines.last?.hasPrefix("E") == true)
        }
    }
}
