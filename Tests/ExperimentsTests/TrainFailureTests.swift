import Foundation
import Testing
@testable import Experiments

extension ExperimentsSuite {
    /// A run that cannot start, as a user meets it in a log or a pipe.
    @Suite(.serialized) struct TrainFailureTests {
        @Test func aRunThatCannotStartSaysWhyLastAndWhatToDoAndDoesNotBecomeLatest() throws {
            let executable = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let source = results.appendingPathComponent("ilsvrc12/train_lmdb").path
            let (status, output) = try TestData.capture(executable, ["caffenet", "--results", results.path,
                                                                     "--set", "data.train.source=\(source)"])
            #expect(status != 0)
            #expect(!output.contains("Initializing solver"), "the error comes before the solver's settings:\n\(output)")
            let lines = output.split(separator: "\n")
            // The error names the layer and the recipe line that read the database.
            let failed = try #require(lines.firstIndex { $0.contains("Training failed: layer 'data' (Data) at Recipes/CaffeNet.swift:")
                                                         && $0.contains("no database at \(source)") }, "\(output)")
            #expect(lines[failed...].allSatisfy { $0.hasPrefix("E") }, "the error is the last thing printed, at error level:\n\(output)")
            let rest = lines[failed...].joined(separator: "\n")
            #expect(rest.contains("experiments prepare imagenet"))
            #expect(rest.contains("--set data.train.source=PATH"))
            #expect(rest.contains("experiments time caffenet"))

            let recipe = results.appendingPathComponent("caffenet")
            #expect(!FileManager.default.fileExists(atPath: recipe.appendingPathComponent("latest").path),
                    "a run that never started is not `latest`")
            let runs = try FileManager.default.contentsOfDirectory(atPath: recipe.path)
            let run = recipe.appendingPathComponent(try #require(runs.first))
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any]
            #expect(summary?["status"] as? String == "failed")
            #expect((summary?["error"] as? String)?.contains("no database at") == true)
            let log = try String(contentsOf: run.appendingPathComponent("train.log"), encoding: .utf8)
            #expect(log.contains("] Training failed: layer 'data' (Data)") && log.contains("no database at"))
            let environment = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("environment.json"))) as? [String: Any]
            let started = try #require(environment?["started"] as? String)
            let finished = try #require(environment?["finished"] as? String)
            #expect(started <= finished)
            #expect(ISO8601DateFormatter().date(from: String(started.prefix(19)) + "Z") != nil, "\(started)")
            if EnvironmentRecord.toolchainVersion() != nil {
                #expect((environment?["swift_toolchain"] as? String)?.hasPrefix("Swift version") == true)
            }
        }

        @Test func aBLASLibraryThatDoesNotOpenIsAnErrorThatSaysWhatToDo() throws {
            let executable = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let missing = results.appendingPathComponent("libopenblas-missing.so").path
            for arguments in [["lenet", "--results", results.path], ["time", "lenet", "--batch", "2"]] {
                let (status, output) = try TestData.capture(executable, arguments, environment: ["CREMA_BLAS_LIBRARY": missing])
                #expect(status == 1, "an error, not exit(70) or a crash: \(status)\n\(output)")
                #expect(output.contains("cannot open OpenBLAS (\(missing))"), "\(output)")
                #expect(output.contains("CREMA_BLAS_LIBRARY names it; unset it"), "\(output)")
            }
        }
    }
}
