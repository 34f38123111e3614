import Foundation
import NetDSL
import Testing
@testable import Experiments
@testable import Runtime
@testable import Recipes

extension ExperimentsSuite {
    /// `export --onnx`: the model decodes with our own ONNX types, and onnxruntime computes what
    /// `classify` (for a trained LeNet) and our forward pass (for a net of every other layer kind)
    /// compute, to 1e-4 relative.
    @Suite(.serialized)
    struct ONNXExportTests {
        static let venv = URL(fileURLWithPath: "/tmp/crema-onnxruntime-venv")

        // MARK: Structure, no Python

        /// LeNet's deploy net with filler weights: the expected nodes, initializers with the
        /// graph's shapes and values, and input and output shapes.
        @Test func lenetModelDecodesWithExpectedNodesAndInitializers() throws {
            let spec = LeNet.spec()
            let dataIndex = try #require(spec.dataLayerIndex(in: .test))
            let (deploy, _) = try ClassifyCommand.deployNet(spec, data: dataIndex, shape: [1, 1, 28, 28])
            let graph = try Compiler.compile(deploy, for: .test, store: ParameterStore(seed: 3))
            let bytes = try ONNXExport.serializedModel(of: graph)
            let model = try Onnx_ModelProto(serializedBytes: bytes)

            #expect(model.irVersion == 7)
            #expect(model.opsetImport.map(\.version) == [13])
            #expect(model.opsetImport.map(\.domain) == [""])
            let g = model.graph
            #expect(g.node.map(\.opType) == ["Conv", "MaxPool", "Conv", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"])
            #expect(g.input.map(\.name) == ["data"])
            #expect(g.input.first?.type.tensorType.shape.dim.map(\.dimValue) == [1, 1, 28, 28])
            #expect(g.output.map(\.name) == ["prob"])
            #expect(g.output.first?.type.tensorType.shape.dim.map(\.dimValue) == [1, 10])
            // ReLU runs in place on ip1: the pre-activation gets its own name, the last version the blob's.
            let relu = try #require(g.node.first { $0.opType == "Relu" })
            #expect(relu.input == ["ip1_ip1"] && relu.output == ["ip1"])
            #expect(g.node.last?.output == ["prob"])
            let gemm = try #require(g.node.first { $0.opType == "Gemm" })
            #expect(gemm.attribute.first { $0.name == "transB" }?.i == 1)
            let conv = try #require(g.node.first { $0.opType == "Conv" })
            #expect(conv.attribute.first { $0.name == "kernel_shape" }?.ints == [5, 5])
            // Every value is written once.
            let outputs = g.node.flatMap(\.output)
            #expect(Set(outputs).count == outputs.count)

            let shapes = Dictionary(uniqueKeysWithValues: g.initializer.map { ($0.name, $0.dims.map(Int.init)) })
            #expect(shapes == ["conv1.weight": [20, 1, 5, 5], "conv1.bias": [20],
                               "conv2.weight": [50, 20, 5, 5], "conv2.bias": [50],
                               "ip1.weight": [500, 800], "ip1.bias": [500],
                               "ip2.weight": [10, 500], "ip2.bias": [10]])
            for tensor in g.initializer {
                #expect(tensor.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue))
                let parts = tensor.name.split(separator: ".")
                let layer = try #require(graph.layer(named: String(parts[0])))
                let expected = layer.parameters[parts[1] == "weight" ? 0 : 1].values
                #expect(Self.floats(tensor.rawData) == expected, "\(tensor.name) differs from the graph's blob")
            }
        }

        /// Layers with no ONNX meaning, and graphs compiled for training, are errors that say so.
        @Test func lossLayersAndTrainGraphsAreErrors() throws {
            let withLoss = Net("Lossy") {
                Input("data", shapes: [[2, 3], [2]]).outputs("data", "label")
                InnerProduct("ip", outputs: 4).inputs("data")
                SoftmaxWithLoss("loss").inputs("ip", "label")
            }.spec
            let graph = try Compiler.compile(withLoss, for: .test, store: ParameterStore())
            #expect { try ONNXExport.model(of: graph) } throws: { error in
                "\(error)".contains("'loss'") && "\(error)".contains("no place in an ONNX inference graph")
            }
            let tiny = Net("Tiny") {
                Input("data", shape: [1, 3])
                InnerProduct("ip", outputs: 2)
            }.spec
            let train = try Compiler.compile(tiny, for: .train, store: ParameterStore())
            #expect { try ONNXExport.model(of: train) } throws: { error in "\(error)".contains("compile the deploy net for TEST") }
        }

        @Test func exportNeedsDeployOrONNX() throws {
            #expect(throws: (any Error).self) { _ = try ExperimentsCLI.parseAsRoot(["export", "results/lenet/latest"]) }
        }

        // MARK: onnxruntime

        /// A net of every layer kind LeNet lacks (grouped and strided convolution, LeakyReLU, LRN,
        /// AVE pooling with padding and a clipped last window, MAX pooling with padding, global
        /// pooling, Sigmoid, TanH, Concat, Eltwise SUM with coefficients, PROD and MAX, Flatten
        /// of inner axes, InnerProduct over axis 2, Dropout in and out of place), with random
        /// weights: onnxruntime's outputs are our forward pass's.
        @Test func everyLayerKindRunsInONNXRuntimeLikeOurForwardPass() throws {
            let spec = Net("Zoo") {
                Input("data", shape: [2, 4, 10, 10])
                Convolution("conv1", outputs: 6, kernel: 3, pad: 1, group: 2)
                    .weights(.gaussian(std: 0.3)).bias(.gaussian(std: 0.1))
                ReLU("relu1", negativeSlope: 0.1)
                LRN("norm1", size: 3, alpha: 0.3, beta: 0.75, k: 1.5)
                Pooling("poolA", .average, kernel: 3, stride: 2, pad: 1).inputs("norm1")
                Pooling("poolM", .max, kernel: 3, stride: 2, pad: 1).inputs("norm1")
                Pooling.global("gpoolM", .max).inputs("norm1")
                Sigmoid("sig").inputs("poolA")
                TanH("tanh").inputs("poolM")
                Concat("concat", "sig", "tanh")
                Eltwise("sum", .sum, "sig", "tanh", coeff: [0.5, -2])
                Eltwise("prod", .product, "sig", "tanh")
                Eltwise("max", .max, "sum", "prod")
                Dropout("drop0").inputs("max")
                Flatten("flat").inputs("max")
                InnerProduct("ip1", outputs: 5).weights(.gaussian(std: 0.2)).bias(.gaussian(std: 0.1))
                Dropout("drop1").outputs("drop1")
                Softmax()
                Convolution("conv2", outputs: 8, kernel: 2, stride: 2).inputs("concat")
                    .weights(.gaussian(std: 0.3)).bias(.gaussian(std: 0.1))
                Pooling.global("gpool", .average)
                Dropout("drop2").outputs("gpool_drop")
                Flatten("flat2", axis: 2, endAxis: 3).inputs("conv2")
                Self.innerProduct("ip2", outputs: 3, axis: 2, input: "flat2")
                ReLU("relu2")
            }.spec
            let graph = try Compiler.compile(spec, for: .test, store: ParameterStore(seed: 11))
            try Self.expectONNXRuntimeMatches(graph, outputs: ["gpoolM", "prob", "gpool_drop", "ip2"], ops: [
                "Conv", "LeakyRelu", "LRN", "AveragePool", "Mul", "MaxPool", "GlobalMaxPool", "GlobalAveragePool",
                "Sigmoid", "Tanh", "Concat", "Sum", "Max", "Flatten", "Gemm", "Reshape", "Softmax", "Identity", "Relu"],
                label: "every-layer net")
        }

        /// The kinds of today's nets (BatchNorm with stored statistics, Scale in both forms, Bias,
        /// PReLU, the neuron layers, LRN within channels, floor pooling, Reshape, Slice, Crop, Tile,
        /// Reduction, ArgMax, Silence): onnxruntime's outputs are our forward pass's.
        @Test func modernLayerKindsRunInONNXRuntimeLikeOurForwardPass() throws {
            let spec = Net("Modern") {
                Input("data", shape: [2, 3, 6, 6])
                Convolution("conv", outputs: 4, kernel: 3, pad: 2, dilation: 2).weights(.gaussian(std: 0.3))
                BatchNorm("bn")
                Scale("sc", bias: true).scales(.uniform(min: 0.5, max: 1.5)).bias(.gaussian(std: 0.2))
                PReLU("prelu").slopes(.uniform(min: 0.05, max: 0.3))
                ELU("elu", alpha: 0.7).outputs("elu")
                Swish("swish", beta: 1.5)
                Clip("clip", min: -1, max: 1.5)
                Bias("bias").bias(.gaussian(std: 0.5))
                Scale("sc2", axis: 0, numAxes: -1).inputs("bias", "elu")
                AbsVal("abs")
                BNLL("bnll")
                Power("pow", power: 1.5, scale: 0.5, shift: 0.25)
                Log("log", base: 2, scale: 2, shift: 1)
                Exp("exp", base: 3, scale: -0.5, shift: 0.2)
                LRN("lrn", size: 3, alpha: 0.5, beta: 0.75).withinChannel()
                Pooling("pool", .average, kernel: 3, stride: 2).rounding(.floor)
                Threshold("th", threshold: 0.9).inputs("lrn")
                Tile("tile", axis: 2, tiles: 2).inputs("pool")
                Crop("crop", "tile", like: "pool", axis: 2, offset: [1, 0])
                Slice("cut", axis: 1, at: [1]).outputs("cut1", "cut2")
                Reshape("flat", shape: [0, -1]).inputs("cut2")
                Reduction("sum", .sumOfSquares, axis: 1, coeff: 0.5).inputs("flat")
                Reduction("mean", .mean, axis: 1).inputs("flat")
                Reduction("l1", .absoluteSum, axis: 1).inputs("flat")
                ArgMax("top", topK: 2, outMaxVal: true).inputs("flat")
                ArgMax("best", axis: 1).inputs("cut2")
                InnerProduct("ipT", outputs: 3).transposed().inputs("flat").weights(.gaussian(std: 0.3)).bias(.gaussian(std: 0.1))
                Silence("quiet", "cut1")
                Deconvolution("up", outputs: 4, kernel: 3, stride: 2, pad: 1, dilation: 2, group: 2).inputs("conv")
                    .weights(.gaussian(std: 0.3)).bias(.gaussian(std: 0.1))
            }.spec
            let graph = try Compiler.compile(spec, for: .test, store: ParameterStore(seed: 12))
            let bn = try #require(graph.layer(named: "bn"))
            bn.parameters[0].copy(from: [0.2, -0.4, 0.1, 0.6])
            bn.parameters[1].copy(from: [1.5, 0.5, 2, 1])
            bn.parameters[2].copy(from: [0.5])
            try Self.expectONNXRuntimeMatches(graph, outputs: ["th", "sum", "mean", "l1", "top", "best", "up", "ipT"], ops: [
                "ConvTranspose",
                "BatchNormalization", "PRelu", "Elu", "Clip", "Abs", "Softplus", "Pow", "Log", "Exp", "Greater", "Cast",
                "Tile", "Slice", "Split", "ReduceSumSquare", "ReduceMean", "ReduceL1", "TopK"], label: "modern-layer net")
        }

        /// Runs `graph` forward on random data, exports it and expects onnxruntime to give the same
        /// `outputs` to 1e-4 relative, with the `ops` in the model.
        static func expectONNXRuntimeMatches(_ graph: Graph, outputs: Set<String>, ops: [String], label: String) throws {
            let input = try #require(graph.blobs["data"])
            var random = RandomGenerator(seed: 5)
            for i in 0..<input.count { input.data[i] = random.gaussian(mean: 0, std: 1.5) }
            try graph.forward()
            let expected = Dictionary(uniqueKeysWithValues: graph.outputs.map { ($0.name, $0.tensor.values) })
            #expect(Set(expected.keys) == outputs)

            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let modelURL = root.appendingPathComponent("net.onnx")
            let bytes = try ONNXExport.serializedModel(of: graph)
            try bytes.write(to: modelURL)
            let model = try Onnx_ModelProto(serializedBytes: bytes)
            let present = Set(model.graph.node.map(\.opType))
            for op in ops { #expect(present.contains(op), "no \(op) node") }
            #expect(!present.contains("Dropout"))

            let inputURL = root.appendingPathComponent("input.f32")
            try input.values.withUnsafeBufferPointer { try Foundation.Data(buffer: $0).write(to: inputURL) }
            guard let runs = try Self.onnxRuntimeOutputs(model: modelURL, input: inputURL, root: root) else { return }
            try #require(runs.count == 1)
            var worst = 0.0
            for (name, values) in expected {
                let got = try #require(runs[0][name], "onnxruntime gave no output \(name)")
                try #require(got.count == values.count, "\(name): \(got.count) values from onnxruntime, \(values.count) here")
                worst = max(worst, Self.expectClose(got, values.map(Double.init), name))
            }
            print("onnx: \(label), onnxruntime vs our forward pass, max relative difference \(worst)")
        }

        /// `export --onnx` of a LeNet trained here, run by onnxruntime on the images `classify`
        /// scores (preprocessed as TEST data), gives classify's probabilities.
        @Test(.enabled(if: TestData.available, "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
        func lenetModelRunsInONNXRuntimeWithClassifyOutputs() throws {
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            try TestData.ensureFashionMNIST()
            try TestData.train(["lenet", "--iterations", "200", "--seed", "6", "--results", root.path, "--quiet",
                                "--set", "solver.test_interval=200"])
            let run = root.appendingPathComponent("lenet/latest").resolvingSymlinksInPath()
            let weights = run.appendingPathComponent("snapshots/lenet_iter_200.caffemodel")
            let onnxURL = root.appendingPathComponent("models/lenet.onnx")
            let deployURL = root.appendingPathComponent("deploy")

            // Both formats in one export; a second needs --force.
            guard let export = try ExperimentsCLI.parseAsRoot(["export", run.path, "--deploy", deployURL.path,
                                                               "--onnx", onnxURL.path]) as? ExportCommand else {
                Issue.record("export did not parse")
                return
            }
            let written = try export.export()
            #expect(written.map(\.lastPathComponent) == ["deploy.prototxt", "lenet_iter_200.caffemodel", "lenet.onnx"])
            #expect(throws: CLIError.self) { try export.export() }
            let onlyONNX = try #require(try ExperimentsCLI.parseAsRoot(["export", weights.path, "--onnx", onnxURL.path, "--force"]) as? ExportCommand)
            #expect(try onlyONNX.export() == [onnxURL])

            let model = try Onnx_ModelProto(serializedBytes: try Foundation.Data(contentsOf: onnxURL))
            #expect(model.graph.node.map(\.opType) == ["Conv", "MaxPool", "Conv", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm", "Softmax"])
            // The weights are the snapshot's.
            let stored = try CaffeModel.read(from: weights).layers
            for layer in stored where !layer.blobs.isEmpty {
                for (i, blob) in layer.blobs.enumerated() {
                    let tensor = try #require(model.graph.initializer.first { $0.name == "\(layer.name).\(i == 0 ? "weight" : "bias")" })
                    #expect(tensor.dims.map(Int.init) == blob.shape)
                    #expect(Self.floats(tensor.rawData) == blob.data)
                }
            }

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

            guard let runs = try Self.onnxRuntimeOutputs(model: onnxURL, input: inputURL, root: root) else { return }
            try #require(runs.count == 4 && runs.allSatisfy { $0["prob"]?.count == 10 }, "unexpected onnxruntime output: \(runs)")
            var worst = 0.0
            for (i, (_, best)) in predictions.enumerated() {
                let prob = runs[i]["prob"] ?? []
                for (p, name) in best {
                    let k = try #require(names.firstIndex(of: name))
                    let relative = abs(prob[k] - p) / max(abs(p), 1e-12)
                    worst = max(worst, relative)
                    #expect(relative < 1e-4, "image \(i) class \(k): onnxruntime \(prob[k]) vs classify \(p)")
                }
            }
            print("onnx: onnxruntime image 0: \(runs[0]["prob"] ?? []); classify image 0: \(predictions[0].1.map { ($0.1, $0.0) })")
            print("onnx: onnxruntime vs classify, max relative difference \(worst)")
        }

        // MARK: Helpers

        /// An InnerProduct over the axes from `axis` on, with gaussian weights and bias.
        static func innerProduct(_ name: String, outputs: Int, axis: Int, input: String) -> [LayerSpec] {
            var p = InnerProductParams(numOutput: outputs)
            p.axis = axis
            p.weightFiller = .gaussian(std: 0.3)
            p.biasFiller = .gaussian(std: 0.1)
            return [LayerSpec(name: name, kind: .innerProduct(p), bottoms: [input], tops: [name])]
        }

        static func floats(_ raw: Foundation.Data) -> [Float] {
            stride(from: 0, to: raw.count - 3, by: 4).map { offset in
                let bits = raw[raw.startIndex + offset ..< raw.startIndex + offset + 4].reversed()
                    .reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                return Float(bitPattern: bits)
            }
        }

        /// Checks `got` against `expected` to 1e-4 relative; values under a hundredth of the
        /// blob's largest (where summation order alone moves the relative error) are held to
        /// 1e-6 of that largest value instead. Returns the worst relative difference.
        @discardableResult
        static func expectClose(_ got: [Double], _ expected: [Double], _ name: String) -> Double {
            let largest = expected.map(abs).max() ?? 0
            var worst = 0.0
            for (i, (a, b)) in zip(got, expected).enumerated() {
                let relative = abs(a - b) / max(abs(b), largest * 1e-2, 1e-30)
                worst = max(worst, relative)
                #expect(relative < 1e-4, "\(name)[\(i)]: onnxruntime \(a) vs ours \(b)")
            }
            return worst
        }

        /// Checks the model with ONNX's checker (full shape inference) and runs it in
        /// onnxruntime over `input`, batch by batch at the model's input shape. Returns each
        /// batch's outputs by name; nil (after saying so) where the Python packages cannot be
        /// installed for lack of a registry.
        static func onnxRuntimeOutputs(model: URL, input: URL, root: URL) throws -> [[String: [Double]]]? {
            guard let python = try onnxRuntimePython() else { return nil }
            let script = root.appendingPathComponent("run_onnxruntime.py")
            try """
            import sys, numpy as np, onnx, onnxruntime as ort
            onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)
            session = ort.InferenceSession(sys.argv[1], providers=["CPUExecutionProvider"])
            feed = session.get_inputs()[0]
            batch = feed.shape[0]
            x = np.fromfile(sys.argv[2], dtype=np.float32).reshape(-1, *feed.shape[1:])
            names = [o.name for o in session.get_outputs()]
            for start in range(0, x.shape[0], batch):
                print("batch")
                for name, value in zip(names, session.run(None, {feed.name: x[start:start + batch]})):
                    print(name, " ".join("%.9g" % v for v in value.reshape(-1)))
            """.write(to: script, atomically: true, encoding: .utf8)
            let (status, output) = try TestData.capture(python, [script.path, model.path, input.path])
            try #require(status == 0, "onnxruntime script failed:\n\(output.suffix(4000))")
            var runs: [[String: [Double]]] = []
            for line in output.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields == ["batch"] {
                    runs.append([:])
                } else if let name = fields.first, !runs.isEmpty {
                    runs[runs.count - 1][String(name)] = fields.dropFirst().compactMap { Double($0) }
                }
            }
            return runs
        }

        /// The venv's python with onnxruntime, onnx and numpy (cached across runs); nil, after
        /// saying so, only where pip cannot reach its registry.
        static func onnxRuntimePython() throws -> URL? {
            try TestData.pythonVenv(venv, imports: "onnxruntime, onnx, numpy", packages: ["onnxruntime", "onnx", "numpy"], check: "onnxruntime")
        }

    }
}
