import Foundation
import Testing
@testable import NetDSL
@testable import Recipes
@testable import Runtime

/// ResNet-50's recipe against the deploy prototxt He et al. published for Caffe (kept as a
/// fixture): the same layers in the same order, reading and writing the same blobs, with the
/// same blob and parameter shapes.
@Suite struct ResNet50Tests {
    /// The recipe's TEST net as a deploy net: an Input for the data, no accuracy or loss.
    static func deploy(_ net: NetSpec, shape: [Int]) throws -> NetSpec {
        let test = try net.resolved(for: .test).layers
        var layers: [LayerSpec] = []
        for layer in test {
            if case .data = layer.kind {
                layers.append(LayerSpec(name: "input", kind: .input(InputParams(shapes: [shape])), tops: ["data"]))
            } else if layer.kind.traits.deployable {
                layers.append(layer)
            }
        }
        return NetSpec(name: net.name, layers: layers)
    }

    @Test func compilesToThePublishedGraph() throws {
        let published = try CaffeImport.load(net: CaffeFixtures.path("models/resnet50/ResNet-50-deploy.prototxt")).net
        var ours = try Self.deploy(ResNet50().net.spec, shape: [1, 3, 224, 224])
        // The published deploy net ends in a Softmax where the recipe trains with a loss.
        ours.layers.append(LayerSpec(name: "prob", kind: .softmax(SoftmaxParams()), bottoms: ["fc1000"], tops: ["prob"]))
        let theirs = try published.resolved(for: .test).layers
        let mine = try ours.resolved(for: .test).layers
        #expect(mine.count == theirs.count)
        for (a, b) in zip(mine, theirs) {
            #expect(a.name == b.name)
            #expect(a.kind.typeName == b.kind.typeName, "\(a.name)")
            #expect(a.bottoms == b.bottoms, "\(a.name)")
            #expect(a.tops == b.tops, "\(a.name)")
        }
        let store = ParameterStore(seed: 1), publishedStore = ParameterStore(seed: 1)
        let graph = try Compiler.compile(ours, for: .test, store: store)
        let reference = try Compiler.compile(published, for: .test, store: publishedStore)
        for (name, blob) in reference.blobs {
            #expect(graph.blobs[name]?.shape == blob.shape, "blob \(name)")
        }
        #expect(store.parameters.map(\.key) == publishedStore.parameters.map(\.key))
        #expect(store.parameters.map(\.tensor.shape) == publishedStore.parameters.map(\.tensor.shape))
        #expect(graph.blobs["res5c"]?.shape == [1, 2048, 7, 7])
        #expect(graph.blobs["prob"]?.shape == [1, 1000])
        // torchvision's ResNet-50 learns 25,557,032 values; Caffe's conv1 also has 64 biases.
        let learned = store.parameters.filter { $0.lrMult != 0 }.reduce(0) { $0 + $1.tensor.count }
        #expect(learned == 25_557_032 + 64)
    }

    @Test func trainsAStepOnGeneratedInputs() throws {
        var net = ResNet50().net.spec
        for i in net.layers.indices {
            if case .data = net.layers[i].kind { net.layers[i].kind = .input(InputParams(shapes: [[2, 3, 64, 64], [2]])) }
        }
        // 64x64 inputs end at 2x2 before the 7x7 average pooling; global pooling takes any size.
        if let i = net.layers.firstIndex(where: { $0.name == "pool5" }), case .pooling(var p) = net.layers[i].kind {
            p.globalPooling = true
            net.layers[i].kind = .pooling(p)
        }
        let store = ParameterStore(seed: 2)
        let graph = try Compiler.compile(net, for: .train, store: store)
        graph.blobs["data"]?.copy(from: randomTensor([2, 3, 64, 64], seed: 3).values)
        graph.blobs["label"]?.copy(from: [1, 7])
        let loss = try graph.forward()
        #expect(loss.isFinite && loss > 0)
        graph.backward()
        let conv1 = try #require(store.parameter(named: "conv1.0"))
        #expect(conv1.tensor.gradients.contains { $0 != 0 })
        // The statistics moved: one batch's worth of weight.
        #expect(store.parameter(named: "bn_conv1.2")?.tensor.values == [1])

        // With those statistics, the TEST net folded (every BatchNorm and Scale into its
        // convolution) gives the unfolded net's values: to 1e-5 of the largest through the
        // first stage. Rounding differences grow over 50 untrained layers (the im2col and oneDNN
        // engines, both unfolded, differ by about 3e-5 of the largest score here), so the
        // scores are held to 1e-4; a wrong fold is off by whole values.
        let test = try Compiler.compile(try Self.deploy(net, shape: [2, 3, 64, 64]), for: .test, store: store)
        test.blobs["data"]?.copy(from: randomTensor([2, 3, 64, 64], seed: 4).values)
        let checked = ["conv1", "res2a", "res2b", "res2c", "fc1000"]
        try test.forward()
        let plain = try checked.map { try #require(test.blobs[$0]).values }
        test.parametersFixed = true
        try test.forward()
        // 53 convolutions, each with a BatchNorm and a Scale; with oneDNN the 33 ReLUs that
        // follow them too (conv1 and two per bottleneck); and each bottleneck's sum and ReLU.
        #expect(test.foldedLayers.count == 2 * 53 + (OneDNNLibrary.shared == nil ? 0 : 33) + 2 * 16)
        #expect(test.foldedLayers.contains { $0.name == "res2a" && $0.into == "res2a_branch2c" })
        for (name, expected) in zip(checked, plain) {
            let folded = try #require(test.blobs[name]).values
            let scale = max(1, expected.map(abs).max() ?? 0)
            let worst = zip(folded, expected).map { abs($0 - $1) }.max() ?? .infinity
            let bound: Float = name == "fc1000" ? 1e-4 : 1e-5
            #expect(worst <= bound * scale, "\(name): largest difference \(worst) of \(scale)")
        }
    }
}
