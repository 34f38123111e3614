import Foundation
import NetDSL
import Testing
@testable import Experiments
@testable import Runtime
@testable import Recipes

extension ExperimentsSuite {
    /// `test`, `classify` and `time` on a LeNet trained here, checked against the trainer's own
    /// numbers; and snapshots that survive a process killed while writing them.
    @Suite(.serialized, .enabled(if: TestData.available, "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
    struct VerbTests {
        /// A LeNet trained 200 iterations, tested over the whole test set at 0 and 200.
        static func trainedLeNet(in root: URL) throws -> URL {
            try TestData.ensureFashionMNIST()
            try TestData.train(["lenet", "--iterations", "200", "--seed", "4", "--results", root.path, "--quiet",
                                "--set", "solver.test_interval=200", "--set", "solver.snapshot=0"])
            return root.appendingPathComponent("lenet/latest").resolvingSymlinksInPath()
        }

        @Test func testAndClassifyAgreeWithTheTrainer() throws {
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let run = try Self.trainedLeNet(in: root)
            let weights = run.appendingPathComponent("snapshots/lenet_iter_200.caffemodel")

            // `test` over the whole test set gives what the trainer's last test pass gave.
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any]
            let trained = try #require(((summary?["summary"] as? [String: Any])?["final_test"] as? [String: Double])?["accuracy"])
            guard let test = try ExperimentsCLI.parseAsRoot(["test", "lenet", "--weights", weights.path]) as? TestCommand else {
                Issue.record("test did not parse")
                return
            }
            let scores = Dictionary(uniqueKeysWithValues: try test.score())
            let accuracy = try #require(scores["accuracy"])
            #expect(abs(accuracy - trained) < 1e-6, "test \(accuracy) vs trainer \(trained)")
            #expect(accuracy > 0.6)

            // `classify` on PNG files of the first test records gives the probabilities the TEST net
            // computes for the same records read from the database.
            let reader = try LMDBReader(path: "data/fashion-mnist/test_lmdb")
            let cursor = try reader.makeCursor()
            var paths: [String] = []
            var labels: [Int] = []
            for i in 0..<3 {
                let datum = try Caffe_Datum(record: try cursor.next().value)
                let image = try Image(width: 28, height: 28, channels: 1, pixels: [UInt8](datum.data))
                let url = root.appendingPathComponent("item\(i).png")
                try PNG.encode(image).write(to: url)
                paths.append(url.path)
                labels.append(Int(datum.label))
            }
            guard let classify = try ExperimentsCLI.parseAsRoot(["classify", "lenet", "--weights", weights.path, "--top", "10"] + paths) as? ClassifyCommand else {
                Issue.record("classify did not parse")
                return
            }
            let predictions = try classify.predictions()

            let graph = try Compiler.compile(LeNet.spec(), for: .test, store: ParameterStore())
            try Weights.load(weights, into: graph)
            try graph.forward()
            let loss = try #require(graph.layers.compactMap { $0 as? SoftmaxWithLossLayer }.first)
            for (i, (_, best)) in predictions.enumerated() {
                #expect(best.count == 10)
                for (p, name) in best {
                    let k = try #require(FashionMNIST.labels.firstIndex(of: name))
                    #expect(abs(p - Double(loss.probabilities.data[i * 10 + k])) < 1e-5, "item \(i) class \(name)")
                }
            }
            // And oversampling (ten crops of an uncropped 28x28 image are ten copies, five mirrored)
            // still names real classes with probabilities that sum to at most 1.
            guard let over = try ExperimentsCLI.parseAsRoot(["classify", "lenet", "--weights", weights.path, "--oversample", paths[0]]) as? ClassifyCommand else {
                Issue.record("classify did not parse")
                return
            }
            let total = try over.predictions()[0].1.reduce(0) { $0 + $1.0 }
            #expect(total > 0 && total <= 1 + 1e-6)
            _ = labels

            // A colour photo is turned grey and shrunk to LeNet's 28x28, and classify says so;
            // the test records, already 28x28 grey, pass without a word.
            let photo = root.appendingPathComponent("colour.png").path
            let pixels = (0..<(45 * 30 * 3)).map { UInt8(truncatingIfNeeded: $0 * 7) }
            try PNG.encode(try Image(width: 45, height: 30, channels: 3, pixels: pixels)).write(to: URL(fileURLWithPath: photo))
            guard let colour = try ExperimentsCLI.parseAsRoot(["classify", "lenet", "--weights", weights.path, photo, paths[0]]) as? ClassifyCommand else {
                Issue.record("classify did not parse")
                return
            }
            var notes: [String] = []
            _ = try colour.predictions { notes.append($0) }
            #expect(notes == ["\(photo): colour to grey, resized from 45x30 to 28x28"], "\(notes)")
        }

        @Test func classifySaysHowItFitsAnImageToTheNet() throws {
            let grey = try Image(width: 451, height: 300, channels: 1, pixels: [UInt8](repeating: 0, count: 451 * 300))
            #expect(ClassifyCommand.preparation(of: grey, channels: 3, width: 256, height: 256, crop: (227, 227), views: 1)
                    == "grey to colour, resized from 451x300 to 256x256, cropped to the centre 227x227")
            #expect(ClassifyCommand.preparation(of: grey, channels: 1, width: 451, height: 300, crop: (227, 227), views: 10)
                    == "cut into 10 crops of 227x227 (corners, centre and mirrors)")
            #expect(ClassifyCommand.preparation(of: grey, channels: 1, width: 451, height: 300, crop: (451, 300), views: 1) == nil)
        }

        @Test func timeReportsCaffesSummaryLines() throws {
            try TestData.ensureFashionMNIST()
            guard let time = try ExperimentsCLI.parseAsRoot(["time", "caffenet", "--phase", "test", "--batch", "1", "--repeat", "1"]) as? TimeCommand else {
                Issue.record("time did not parse")
                return
            }
            try time.run()
            guard let train = try ExperimentsCLI.parseAsRoot(["time", "lenet", "--repeat", "2"]) as? TimeCommand else {
                Issue.record("time did not parse")
                return
            }
            try train.run()
        }

        /// `time --net` times a deploy prototxt as it stands: its Input layer takes `--batch` and
        /// generated values.
        @Test func timeTakesADeployPrototxt() throws {
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let json = root.appendingPathComponent("time.json")
            let command = try #require(try ExperimentsCLI.parseAsRoot(
                ["time", "--net", "Tests/RuntimeTests/Fixtures/caffe/zoo/mnist_lenet.prototxt", "--phase", "test",
                 "--batch", "3", "--repeat", "1", "--json", json.path]) as? TimeCommand)
            try command.run()
            let record = try JSONSerialization.jsonObject(with: Foundation.Data(contentsOf: json)) as? [String: Any]
            #expect(record?["batch"] as? Int == 3)
            #expect(record?["generated_inputs"] as? Bool == true)
            #expect(record?["recipe"] as? String == "lenet")
            #expect(throws: CLIError.self) {
                try (ExperimentsCLI.parseAsRoot(["time", "lenet", "--net", "x.prototxt"]) as? TimeCommand)?.run()
            }
        }

        /// A net whose input blob is not called `data` still times at its real batch size.
        @Test func timeFindsTheInputWhateverItIsCalled() throws {
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let prototxt = root.appendingPathComponent("images.prototxt")
            try Foundation.Data("""
                name: "Images"
                layer { name: "images" type: "Input" top: "images" input_param { shape { dim: 1 dim: 1 dim: 12 dim: 12 } } }
                layer { name: "conv" type: "Convolution" bottom: "images" top: "conv" convolution_param { num_output: 4 kernel_size: 3 } }
                layer { name: "prob" type: "Softmax" bottom: "conv" top: "prob" }
                """.utf8).write(to: prototxt)
            let json = root.appendingPathComponent("time.json")
            let command = try #require(try ExperimentsCLI.parseAsRoot(
                ["time", "--net", prototxt.path, "--phase", "test", "--batch", "6", "--repeat", "1", "--json", json.path]) as? TimeCommand)
            try command.run()
            let record = try JSONSerialization.jsonObject(with: Foundation.Data(contentsOf: json)) as? [String: Any]
            #expect(record?["batch"] as? Int == 6, "not 1 for want of a blob called data")
        }

        /// Kill -9 a run that snapshots every iteration, at several moments: whatever is left in
        /// snapshots/ must read back whole (writes go to a temporary file that is renamed).
        @Test func snapshotsSurviveAKilledWriter() throws {
            try TestData.ensureFashionMNIST()
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            for delay in [0.7, 1.3, 2.1] {
                let process = Process()
                process.executableURL = binary
                process.arguments = ["lenet", "--iterations", "100000", "--results", results.path, "--quiet",
                                     "--set", "solver.snapshot=1", "--set", "solver.test_interval=0", "--threads", "1"]
                try process.run()
                let log = results.appendingPathComponent("lenet/latest/train.log")
                try TestData.waitFor("training to start") {
                    ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("Snapshotting")
                }
                Thread.sleep(forTimeInterval: delay)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                let snapshots = results.appendingPathComponent("lenet/latest/snapshots").resolvingSymlinksInPath()
                let files = try FileManager.default.contentsOfDirectory(atPath: snapshots.path)
                let models = files.filter { $0.hasSuffix(".caffemodel") }
                #expect(!models.isEmpty)
                for file in models {
                    let model = try CaffeModel.read(from: snapshots.appendingPathComponent(file))
                    #expect(model.layers.contains { $0.name == "ip2" }, "\(file)")
                }
                for file in files where file.hasSuffix(".solverstate") {
                    _ = try SolverStateFile.read(from: snapshots.appendingPathComponent(file))
                }
            }
        }
    }
}

extension ExperimentsSuite.VerbTests {
    /// A run killed at any moment, from the folder's first file to mid-training, never leaves a
    /// folder that looks finished: no summary.json, every JSON file whole, every metrics line
    /// complete but perhaps the last, and `compare` reads it as a run that was killed.
    @Test func aKilledRunNeverLooksFinished() throws {
        try TestData.ensureFashionMNIST()
        let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
        let results = try TestData.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: results) }
        for delay in [0.0, 0.02, 0.05, 0.1, 0.2, 0.4, 0.8, 1.5] {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["lenet", "--iterations", "100000", "--results", results.path, "--quiet", "--threads", "1",
                                 "--set", "solver.display=5", "--set", "solver.test_interval=100", "--set", "solver.test_iter=5",
                                 "--set", "solver.snapshot=50"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let runs = results.appendingPathComponent("lenet")
        let folders = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0 != "latest" }
        #expect(folders.count > 1)
        for name in folders {
            let folder = runs.appendingPathComponent(name)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            #expect(!files.contains("summary.json"), "\(name) has a summary.json though it was killed")
            #expect(!files.contains { $0.contains(".tmp-") }, "\(name): \(files)")
            for json in ["recipe.json", "environment.json"] where files.contains(json) {
                let data = try Data(contentsOf: folder.appendingPathComponent(json))
                #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(name)/\(json) is not whole")
            }
            if files.contains("metrics.csv") {
                let lines = try String(contentsOf: folder.appendingPathComponent("metrics.csv"), encoding: .utf8)
                    .split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                for line in lines.dropFirst() {
                    #expect(line.split(separator: ",").count == 5, "\(name)/metrics.csv: '\(line)'")
                }
            }
            if files.contains("recipe.json") {
                let run = try RecordedRun.load(folder)
                #expect(run.summary == nil)
            }
        }
    }
}

extension LeNet {
    static func spec() -> NetSpec { LeNet().net.spec }
}
