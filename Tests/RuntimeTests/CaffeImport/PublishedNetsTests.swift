import Foundation
import Testing
@testable import NetDSL
@testable import Runtime

/// Caffe's published nets, kept as fixtures as their authors wrote them: each imports, compiles
/// for both phases and runs a forward and backward pass on generated inputs; the ones Crema
/// cannot run yet are refused with the layer and line at fault. The README's table of nets
/// states the same.
@Suite struct PublishedNetsTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        /// One generated image batch, N x C x H x W.
        var input: [Int]
        /// What the importer says, for the nets Crema cannot run yet.
        var refused: [String] = []
        /// The labels' shape, for nets that label every pixel (FCN); one label per image otherwise.
        var labelShape: [Int]? = nil
        /// Whether the net's first layer is a Python data layer, which the test replaces by an Input.
        var pythonData = false
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "models/bvlc_reference_caffenet/train_val.prototxt", input: [2, 3, 227, 227]),
        Case(file: "zoo/bvlc_alexnet_train_val.prototxt", input: [2, 3, 227, 227]),
        Case(file: "models/bvlc_googlenet/train_val.prototxt", input: [1, 3, 224, 224]),
        Case(file: "models/resnet50/ResNet-50-deploy.prototxt", input: [1, 3, 224, 224]),
        Case(file: "zoo/squeezenet_v1.1_train_val.prototxt", input: [2, 3, 227, 227]),
        Case(file: "zoo/mobilenet_v1_deploy.prototxt", input: [1, 3, 224, 224]),
        Case(file: "zoo/cifar10_quick_train_test.prototxt", input: [4, 3, 32, 32]),
        Case(file: "zoo/cifar10_full_sigmoid_train_test_bn.prototxt", input: [4, 3, 32, 32]),
        Case(file: "zoo/mnist_lenet.prototxt", input: [4, 1, 28, 28]),
        Case(file: "zoo/cifar10_full_train_test.prototxt", input: [4, 3, 32, 32]),
        Case(file: "zoo/voc_fcn32s_val.prototxt", input: [1, 3, 64, 64], refused: ["layer type 'Python' is not supported"]),
        Case(file: "zoo/voc_fcn32s_val.prototxt", input: [1, 3, 64, 64], labelShape: [1, 1, 64, 64], pythonData: true),
    ]

    /// The net with generated inputs: Data layers become Inputs of `input` (and its labels);
    /// a deploy net's Input also gets labels, and its closing Softmax becomes a loss, so it trains.
    static func runnable(_ net: NetSpec, input: [Int], labels: [Int]? = nil) -> NetSpec {
        var net = net
        var hasLoss = net.layers.contains { $0.kind.defaultLossWeight != 0 }
        for i in net.layers.indices {
            switch net.layers[i].kind {
            case .data:
                net.layers[i].kind = .input(InputParams(shapes: [input, labels ?? [input[0]]]))
            case .input:
                net.layers[i].kind = .input(InputParams(shapes: [input, labels ?? [input[0]]]))
                net.layers[i].tops = [net.layers[i].tops[0], "label"]
            default: break
            }
        }
        if !hasLoss, let last = net.layers.indices.last, case .softmax = net.layers[last].kind {
            net.layers[last].kind = .softmaxWithLoss(SoftmaxWithLossParams())
            net.layers[last].bottoms.append("label")
            hasLoss = true
        }
        return net
    }

    @Test(arguments: cases)
    func importsCompilesAndRunsAStep(_ c: Case) throws {
        let path = CaffeFixtures.path(c.file)
        guard c.refused.isEmpty else {
            // Refused as published.
            let error = CaffeFixtures.importError { _ = try CaffeImport.load(net: path) }
            let messages = error?.problems.map(\.message) ?? []
            for expected in c.refused {
                #expect(messages.contains { $0.contains(expected) }, "\(messages)")
            }
            return
        }
        var text = try String(contentsOfFile: path, encoding: .utf8)
        if c.pythonData, let start = text.range(of: "layer {"), let end = text.range(of: "\n}\n", range: start.upperBound..<text.endIndex) {
            text.replaceSubrange(start.lowerBound..<end.upperBound,
                                 with: "layer { name: \"data\" type: \"Input\" top: \"data\" top: \"label\" input_param { shape { dim: 1 } } }\n")
        }
        let net = Self.runnable(try CaffeImport.parse(netText: text, file: path).net, input: c.input, labels: c.labelShape)
        let labels = (0..<(c.labelShape ?? [c.input[0]]).reduce(1, *)).map { Float($0 % 10) }
        for phase in Phase.allCases {
            let store = ParameterStore(seed: 7)
            let graph = try Compiler.compile(net, for: phase, store: store)
            // Nets published without fillers (FCN's) start at zero everywhere, where no gradient
            // flows: give those weights small random values, as a loaded model would have.
            for p in store.parameters where p.tensor.values.allSatisfy({ $0 == 0 }) && p.tensor.shape.count > 1 {
                store.fill(p.tensor, with: .gaussian(std: 0.01))
            }
            // Deploy nets normalise by stored statistics: give them unit variances, as weights
            // trained in Caffe would (all zero, each BatchNorm would multiply by 1/sqrt(eps)).
            for layer in graph.layers {
                guard case .batchNorm = layer.spec.kind else { continue }
                layer.parameters[1].copy(from: Array(repeating: 1, count: layer.parameters[1].count))
                layer.parameters[2].copy(from: [1])
            }
            let data = try #require(graph.blobs["data"])
            data.copy(from: randomTensor(c.input, seed: 8, range: -1...1).values)
            graph.blobs["label"]?.copy(from: labels)
            let loss = try graph.forward()
            #expect(loss.isFinite, "\(phase) loss \(loss)")
            guard phase == .train else { continue }
            graph.backward()
            let learned = store.parameters.filter { $0.lrMult != 0 }
            #expect(!learned.isEmpty)
            #expect(learned.contains { $0.tensor.gradients.contains { $0 != 0 } }, "no gradient reached the weights")
        }
    }
}
