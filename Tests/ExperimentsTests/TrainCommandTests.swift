import Foundation
import Testing
@testable import Experiments
@testable import Runtime

extension ExperimentsSuite {
    /// End to end through the command line, as a user runs it.
    @Suite(.serialized) struct TrainCommandTests {
        @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
                       "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
        func leNetTrainsOnFashionMNISTAndRecordsTheRun() throws {
            try TestData.ensureFashionMNIST()
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            try TestData.train(["lenet", "--iterations", "300", "--seed", "5", "--results", results.path, "--quiet",
                 "--set", "solver.test_interval=300", "--set", "solver.display=100", "--set", "solver.snapshot=200"])

            let latest = results.appendingPathComponent("lenet/latest")
            let run = latest.resolvingSymlinksInPath()
            for file in ["recipe.json", "environment.json", "train.log", "metrics.csv", "summary.json",
                         "snapshots/lenet_iter_200.caffemodel", "snapshots/lenet_iter_300.caffemodel"] {
                #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), "missing \(file)")
            }
            let log = try String(contentsOf: run.appendingPathComponent("train.log"), encoding: .utf8)
            #expect(log.contains("] Solving LeNet"))
            #expect(log.contains("] Iteration 100, lr = "))
            #expect(log.contains("] Iteration 300, Testing net (#0)"))
            #expect(log.contains("Test net output #0: accuracy = "))
            #expect(log.contains("] Optimization Done."))

            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any]
            #expect(summary?["status"] as? String == "finished")
            let details = summary?["summary"] as? [String: Any]
            let finalTest = details?["final_test"] as? [String: Double]
            let accuracy = try #require(finalTest?["accuracy"])
            // Caffe's LeNet is near 80% on Fashion-MNIST after 300 iterations.
            #expect(accuracy > 0.7, "accuracy \(accuracy)")
            #expect((summary?["learning"] as? [String: Any])?["learnt"] as? Bool == true, "a run that learnt is not flagged")

            let recipe = try String(contentsOf: run.appendingPathComponent("recipe.json"), encoding: .utf8)
            #expect(recipe.contains("\"max_iter\" : 300"))
            #expect(recipe.contains("solver.test_interval=300"))

            let metrics = try String(contentsOf: run.appendingPathComponent("metrics.csv"), encoding: .utf8)
            #expect(metrics.hasPrefix("iteration,seconds,phase,name,value\n"))
            #expect(metrics.contains(",test,accuracy,"))

            // The README's picture of a run folder shows every file a run leaves.
            let readme = try String(contentsOfFile: "README.md", encoding: .utf8)
            let picture = try #require(readme.components(separatedBy: "## What a run leaves behind").dropFirst().first?
                .components(separatedBy: "```").dropFirst().first)
            let shown = Set(picture.split(separator: "\n").dropFirst().compactMap { line in
                line.split(separator: " ").first.map { String($0).replacingOccurrences(of: "\\d+", with: "N", options: .regularExpression) }
            })
            let left = try FileManager.default.contentsOfDirectory(atPath: run.path)
                + FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("snapshots").path)
            for file in left {
                let pattern = file.hasPrefix("events.out.tfevents.") ? "events.out.tfevents.N.myhost"
                    : file.replacingOccurrences(of: "\\d+", with: "N", options: .regularExpression) + (file == "snapshots" ? "/" : "")
                #expect(shown.contains(pattern), "the README's run folder does not show \(file): \(shown.sorted())")
            }

            let model = try CaffeModel.read(from: run.appendingPathComponent("snapshots/lenet_iter_300.caffemodel"))
            #expect(model.netName == "LeNet")
            let learned = model.layers.filter { !$0.blobs.isEmpty }
            #expect(learned.map(\.name) == ["conv1", "conv2", "ip1", "ip2"])
            #expect(learned.first?.blobs.first?.shape == [20, 1, 5, 5])
        }

        @Test func caffeNetTrainsAFewIterationsOnAStandInDatabase() throws {
            let folder = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            // Four 3x256x256 records and a mean image: what `prepare imagenet` would give, in small.
            let db = folder.appendingPathComponent("train_lmdb").path
            let writer = try LMDBWriter(path: db)
            var rng = RandomGenerator(seed: 9)
            for i in 0..<4 {
                let bytes = (0..<(3 * 256 * 256)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let datum = Caffe_Datum(channels: 3, height: 256, width: 256, bytes: bytes, label: i * 100)
                try writer.put(key: Caffe_Datum.key(index: i, name: "img\(i).JPEG"), value: try datum.serializedData())
            }
            try writer.close()
            let mean = folder.appendingPathComponent("mean.binaryproto")
            try MeanFile.write(MeanImage(channels: 3, height: 256, width: 256,
                                         values: [Float](repeating: 127.5, count: 3 * 256 * 256)), to: mean)
            try TestData.train(["caffenet", "--iterations", "2", "--results", folder.appendingPathComponent("results").path, "--quiet",
                 "--set", "data.train.source=\(db)", "--set", "data.test.source=\(db)",
                 "--set", "data.train.mean_file=\(mean.path)", "--set", "data.test.mean_file=\(mean.path)",
                 "--set", "data.train.batch_size=2", "--set", "data.test.batch_size=2",
                 "--set", "solver.test_iter=1", "--set", "solver.display=1"])
            let run = folder.appendingPathComponent("results/caffenet/latest").resolvingSymlinksInPath()
            let log = try String(contentsOf: run.appendingPathComponent("train.log"), encoding: .utf8)
            #expect(log.contains("] Iteration 1, lr = 0.01"))
            #expect(log.contains("Test net output #1: loss = "))
            #expect(FileManager.default.fileExists(atPath: run.appendingPathComponent("snapshots/caffenet_train_iter_2.caffemodel").path))
        }

        @Test func recipeNamesDoNotClashWithVerbs() throws {
            #expect(RecipeCatalog.clashes.isEmpty)
            #expect(ExperimentsCLI.verbs.contains("list"))
            #expect(throws: CLIError.self) { try RecipeCatalog.find("nosuchnet") }
        }

        @Test func runFoldersNeverCollide() throws {
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let date = Date()
            let a = try RunFolder(results: results, recipe: "lenet", label: "x", date: date)
            let b = try RunFolder(results: results, recipe: "lenet", label: "x", date: date)
            #expect(a.url != b.url)
            b.markLatest()
            #expect(results.appendingPathComponent("lenet/latest").resolvingSymlinksInPath().lastPathComponent == b.url.lastPathComponent)
            #expect(RunFolder.label(for: ["solver.base_lr=0.001", "data.train.source=/a/b/c"]) == "base_lr0.001-source_a_b_c")
        }
    }
}
