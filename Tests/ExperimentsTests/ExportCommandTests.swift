import Foundation
import NetDSL
import Testing
@testable import Experiments
@testable import Runtime
@testable import Recipes

extension ExperimentsSuite {
    /// `export --deploy` on a LeNet trained here: the prototxt parses back as Caffe's text format,
    /// and OpenCV's Caffe importer gives the probabilities `classify` gives.
    @Suite(.serialized, .enabled(if: TestData.available, "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
    struct ExportCommandTests {
        static let venv = URL(fileURLWithPath: "/tmp/crema-opencv-venv")

        @Test func deployNetLoadsInOpenCVWithClassifyOutputs() throws {
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            try TestData.ensureFashionMNIST()
            try TestData.train(["lenet", "--iterations", "200", "--seed", "4", "--results", root.path, "--quiet",
                                "--set", "solver.test_interval=200"])
            let run = root.appendingPathComponent("lenet/latest").resolvingSymlinksInPath()
            let weights = run.appendingPathComponent("snapshots/lenet_iter_200.caffemodel")
            let out = root.appendingPathComponent("deploy")

            guard let export = try ExperimentsCLI.parseAsRoot(["export", run.path, "--deploy", out.path]) as? ExportCommand else {
                Issue.record("export did not parse")
                return
            }
            try export.export()
            let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
            #expect(files == ["deploy.prototxt", "lenet_iter_200.caffemodel"])
            // A second export into the same folder needs --force.
            #expect(throws: CLIError.self) { try export.export() }

            let text = try String(contentsOf: out.appendingPathComponent("deploy.prototxt"), encoding: .utf8)
            let parsed = try Caffe_NetParameter(textFormatString: text)
            #expect(parsed.layer.map(\.type) == ["Input", "Convolution", "Pooling", "Convolution", "Pooling",
                                                 "InnerProduct", "ReLU", "InnerProduct", "Softmax"])
            #expect(parsed.layer.first?.name == "data")
            #expect(parsed.layer.first?.inputParam.shape.first?.dim == [1, 1, 28, 28])
            #expect(parsed.layer.last?.name == "prob")
            let model = try CaffeModel.read(from: out.appendingPathComponent("lenet_iter_200.caffemodel"))
            #expect(model.layers.map(\.name) == parsed.layer.filter { $0.type == "Convolution" || $0.type == "InnerProduct" }.map(\.name))

            // Inputs: PNGs of the first test records, and the same records preprocessed as TEST data.
            let spec = LeNet.spec()
            guard let dataIndex = spec.dataLayerIndex(in: .test), case .data(let data) = spec.layers[dataIndex].kind else {
                Issue.record("LeNet has no TEST data layer")
                return
            }
            let transformer = try DataTransformer(params: data.transform, phase: .test, mean: nil)
            var random = RandomGenerator(seed: 0)
            let cursor = try LMDBReader(path: "data/fashion-mnist/test_lmdb").makeCursor()
            var paths: [String] = []
            var inputs = [Float](repeating: 0, count: 4 * 28 * 28)
            for i in 0..<4 {
                let datum = try Caffe_Datum(record: try cursor.next().value)
                let url = root.appendingPathComponent("item\(i).png")
                try PNG.encode(try Image(width: 28, height: 28, channels: 1, pixels: [UInt8](datum.data))).write(to: url)
                paths.append(url.path)
                try inputs.withUnsafeMutableBufferPointer { buffer in
                    guard let base = buffer.baseAddress else { return }
                    try transformer.transform(datum, into: base + i * 28 * 28, random: &random)
                }
            }
            let inputURL = root.appendingPathComponent("inputs.f32")
            try inputs.withUnsafeBufferPointer { try Data(buffer: $0).write(to: inputURL) }

            guard let classify = try ExperimentsCLI.parseAsRoot(["classify", "lenet", "--weights", weights.path, "--top", "10"] + paths) as? ClassifyCommand else {
                Issue.record("classify did not parse")
                return
            }
            let predictions = try classify.predictions()
            let labelsFile = "data/fashion-mnist/labels.txt"
            let names = FileManager.default.fileExists(atPath: labelsFile)
                ? try String(contentsOfFile: labelsFile, encoding: .utf8).split(separator: "\n").map(String.init)
                : (0..<10).map { "class \($0)" }

            guard let python = try Self.openCVPython() else { return }
            let script = root.appendingPathComponent("run_opencv.py")
            try """
            import sys, numpy as np, cv2
            net = cv2.dnn.readNetFromCaffe(sys.argv[1], sys.argv[2])
            x = np.fromfile(sys.argv[3], dtype=np.float32).reshape(4, 1, 28, 28)
            for i in range(4):
                net.setInput(x[i:i+1])
                print(" ".join("%.9g" % p for p in net.forward().reshape(-1)))
            """.write(to: script, atomically: true, encoding: .utf8)
            let (status, output) = try Self.run(python, [script.path, out.appendingPathComponent("deploy.prototxt").path,
                                                         out.appendingPathComponent("lenet_iter_200.caffemodel").path, inputURL.path])
            try #require(status == 0, "OpenCV script failed:\n\(output)")
            let rows = output.split(separator: "\n").map { $0.split(separator: " ").compactMap { Double($0) } }
            try #require(rows.count == 4 && rows.allSatisfy { $0.count == 10 }, "unexpected OpenCV output:\n\(output)")
            var worst = 0.0
            for (i, (_, best)) in predictions.enumerated() {
                for (p, name) in best {
                    let k = try #require(names.firstIndex(of: name))
                    let relative = abs(rows[i][k] - p) / max(abs(p), 1e-12)
                    worst = max(worst, relative)
                    #expect(relative < 1e-4, "image \(i) class \(k): OpenCV \(rows[i][k]) vs classify \(p)")
                }
            }
            print("export: OpenCV image 0: \(rows[0]); classify image 0: \(predictions[0].1.map { ($0.1, $0.0) })")
            print("export: OpenCV vs classify, max relative difference \(worst)")
        }

        /// The venv's python with OpenCV installed (cached across runs); nil, after saying so,
        /// only where pip cannot reach its registry.
        static func openCVPython() throws -> URL? {
            let python = venv.appendingPathComponent("bin/python")
            if FileManager.default.isExecutableFile(atPath: python.path),
               (try? run(python, ["-c", "import cv2, numpy"]))?.0 == 0 {
                return python
            }
            let (made, madeOutput) = try run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-m", "venv", venv.path])
            try #require(made == 0, "python3 -m venv failed:\n\(madeOutput)")
            let (status, output) = try run(venv.appendingPathComponent("bin/pip"),
                                           ["install", "--disable-pip-version-check", "opencv-python-headless<5", "numpy"])
            if status != 0 {
                let offline = ["Failed to establish a new connection", "Temporary failure in name resolution",
                               "Network is unreachable", "No matching distribution found", "Could not find a version"]
                if offline.contains(where: output.contains) {
                    print("SKIPPED the OpenCV check: pip cannot reach its registry to install opencv-python-headless:\n\(output.suffix(800))")
                    return nil
                }
                Issue.record("pip install opencv-python-headless failed:\n\(output.suffix(4000))")
                return nil
            }
            return python
        }

        static func run(_ executable: URL, _ arguments: [String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }
}
