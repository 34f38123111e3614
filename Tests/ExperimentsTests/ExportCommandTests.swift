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

        @Test func theInputNoteGivesTheMeanImageScaleAndCrop() {
            var data = DataParams(source: "val_lmdb", batchSize: 50)
            data.transform.meanFile = "data/ilsvrc12/imagenet_mean.binaryproto"
            data.transform.cropSize = 227
            let plane = 4 * 4
            let mean = MeanImage(channels: 3, height: 4, width: 4,
                                 values: [Float](repeating: 104, count: plane) + [Float](repeating: 117, count: plane) + [Float](repeating: 123.5, count: plane))
            let lines = DeployInputNote.lines(data: data, shape: [1, 3, 227, 227], mean: mean)
            #expect(lines == [
                "Input \"data\" (1x3x227x227) takes images preprocessed as the recipe's TEST data, not raw pixels:",
                "  value = (pixel - mean) * scale, pixels 0-255 in Caffe's channel order (B, G, R)",
                "  mean = the mean image data/ilsvrc12/imagenet_mean.binaryproto (3x4x4, channel averages 104.0, 117.0, 123.5), cropped as the image is",
                "  scale = 1",
                "  the centre 227x227 crop of the resized image (4x4)",
            ])
            data.transform.meanFile = nil
            data.transform.meanValue = [104, 117, 123]
            #expect(DeployInputNote.lines(data: data, shape: [1, 3, 227, 227], mean: nil)[2] == "  mean = 104, 117, 123 (one per channel)")
        }

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
            var note: [String] = []
            try export.export { note = $0 }
            #expect(note.first == "Input \"data\" (1x1x28x28) takes images preprocessed as the recipe's TEST data, not raw pixels:")
            #expect(note.contains("  scale = 0.00390625 (1/256)"), "\(note)")
            #expect(note.contains("  mean = 0 (the recipe subtracts none)"), "\(note)")
            let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
            #expect(files == ["deploy.prototxt", "lenet_iter_200.caffemodel"])
            // A second export into the same folder needs --force.
            #expect(throws: CLIError.self) { try export.export() }

            let text = try String(contentsOf: out.appendingPathComponent("deploy.prototxt"), encoding: .utf8)
            #expect(text.hasPrefix(note.map { "# " + $0 + "\n" }.joined()), "the note opens deploy.prototxt as comments")
            let parsed = try Caffe_NetParameter(textFormatString: text)
            #expect(parsed.layer.map(\.type) == ["Input", "Convolution", "Pooling", "Convolution", "Pooling",
                                                 "InnerProduct", "ReLU", "InnerProduct", "Softmax"])
            #expect(parsed.layer.first?.name == "data")
            #expect(parsed.layer.first?.inputParam.shape.first?.dim == [1, 1, 28, 28])
            #expect(parsed.layer.last?.name == "prob")
            let model = try CaffeModel.read(from: out.appendingPathComponent("lenet_iter_200.caffemodel"))
            #expect(model.layers.map(\.name) == parsed.layer.filter { $0.type == "Convolution" || $0.type == "InnerProduct" }.map(\.name))

            // A recipe.json edited by hand into a net that cannot work stops the export, naming the
            // layer, before anything is written.
            let edited = root.appendingPathComponent("edited")
            try FileManager.default.copyItem(at: run, to: edited)
            let recipeJSON = edited.appendingPathComponent("recipe.json")
            let original = try String(contentsOf: recipeJSON, encoding: .utf8)
            let broken = original.replacingOccurrences(of: "\"num_output\" : 20", with: "\"num_output\" : -20")
            #expect(broken != original, "the recipe.json has conv1's num_output to edit")
            try broken.write(to: recipeJSON, atomically: true, encoding: .utf8)
            let editedOut = root.appendingPathComponent("edited-deploy")
            let badExport = try #require(try ExperimentsCLI.parseAsRoot(["export", edited.path, "--deploy", editedOut.path]) as? ExportCommand)
            #expect { try badExport.export() } throws: { "\($0)".contains("conv1") && "\($0)".contains("num_output") }
            #expect(!FileManager.default.fileExists(atPath: editedOut.path))

            // Inputs: PNGs of the first test records, and the same records preprocessed as TEST data.
            let (paths, inputURL) = try TestData.leNetTestInputs(count: 4, in: root)

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
            let (status, output) = try TestData.capture(python, [script.path, out.appendingPathComponent("deploy.prototxt").path,
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
            try TestData.pythonVenv(venv, imports: "cv2, numpy", packages: ["opencv-python-headless<5", "numpy"], check: "OpenCV")
        }

    }
}
