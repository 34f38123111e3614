import Testing
@testable import NetDSL
@testable import Runtime

/// A convolution with a fused ReLU against the two layers run one after the other.
@Suite struct FusionTests {
    private static func conv(_ name: String, _ bottom: String, outputs: Int) -> LayerSpec {
        var p = ConvolutionParams(numOutput: outputs, kernelH: 3, kernelW: 3)
        (p.padH, p.padW) = (1, 1)
        p.weightFiller = .gaussian(mean: 0, std: 0.1)
        p.biasFiller = .uniform(min: -0.2, max: 0.2)
        return LayerSpec(name: name, kind: .convolution(p), bottoms: [bottom], tops: [name])
    }

    private static func relu(_ name: String, on blob: String, slope: Float = 0, inPlace: Bool = true) -> LayerSpec {
        LayerSpec(name: name, kind: .relu(ReLUParams(negativeSlope: slope)), bottoms: [blob],
                  tops: [inPlace ? blob : name])
    }

    /// conv1 (9.4M multiply-adds per image: oneDNN where it loads) and conv2 (4.7M: the im2col
    /// path inside the oneDNN layer), each followed by an in-place ReLU, then a classifier.
    private static func net(relu2: LayerSpec? = nil) -> NetSpec {
        var ip = InnerProductParams(numOutput: 5)
        ip.weightFiller = .gaussian(mean: 0, std: 0.05)
        let r2 = relu2 ?? relu("relu2", on: "conv2")
        return NetSpec(name: "fusion", layers: [
            LayerSpec(name: "data", kind: .input(InputParams(shapes: [[2, 16, 32, 32], [2]])), tops: ["data", "label"]),
            conv("conv1", "data", outputs: 64), relu("relu1", on: "conv1"),
            conv("conv2", "conv1", outputs: 8), r2,
            LayerSpec(name: "ip", kind: .innerProduct(ip), bottoms: [r2.tops[0]], tops: ["ip"]),
            LayerSpec(name: "loss", kind: .softmaxWithLoss(SoftmaxWithLossParams()), bottoms: ["ip", "label"], tops: ["loss"]),
        ])
    }

    private static func run(_ spec: NetSpec, fuse: Bool) throws -> (graph: Graph, loss: Float, grads: [[Float]], dx: [Float]) {
        let graph = try Compiler.compile(spec, for: .train, store: ParameterStore(seed: 5), options: CompileOptions(fuseLayers: fuse))
        let data = try #require(graph.blobs["data"]), label = try #require(graph.blobs["label"])
        var rng = RandomGenerator(seed: 9)
        for i in 0..<data.count { data.data[i] = rng.uniform(-1, 1) }
        for i in 0..<label.count { label.data[i] = Float(i % 5) }
        let loss = try graph.forward()
        graph.backward()
        let grads = ["conv1", "conv2", "ip"].flatMap { graph.layer(named: $0)?.parameters.map(\.gradients) ?? [] }
        return (graph, loss, grads, graph.blobs["conv2"]?.gradients ?? [])
    }

    private static func close(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($0)) }
    }

    @Test func fusedReLUGivesTheSameForwardAndBackward() throws {
        let fused = try Self.run(Self.net(), fuse: true), plain = try Self.run(Self.net(), fuse: false)
        let oneDNN = OneDNNLibrary.shared != nil
        #expect((fused.graph.layer(named: "relu1") is FusedReLULayer) == oneDNN)
        #expect((fused.graph.layer(named: "relu2") is FusedReLULayer) == oneDNN)
        #expect(plain.graph.layer(named: "relu1") is ReLULayer)
        #expect(fused.graph.fusedLayers.map { "\($0.name) in \($0.into)" } == (oneDNN ? ["relu1 in conv1", "relu2 in conv2"] : []))
        for name in ["conv1", "conv2", "ip"] {
            let a = try #require(fused.graph.blobs[name]).values, b = try #require(plain.graph.blobs[name]).values
            #expect(Self.close(a, b), "\(name)")
        }
        #expect(try #require(fused.graph.blobs["conv1"]).values.allSatisfy { $0 >= 0 })
        #expect(abs(fused.loss - plain.loss) <= 1e-5 * max(1, abs(plain.loss)))
        #expect(fused.grads.count == 6 && zip(fused.grads, plain.grads).allSatisfy { Self.close($0, $1) })
        #expect(Self.close(fused.dx, plain.dx))
        // The ReLU changed something, so a convolution without it would have been caught.
        #expect(try #require(plain.graph.blobs["conv1"]).values.contains(0))
    }

    /// A leaky ReLU, a ReLU with its own output, or one that another layer reads before, stays.
    @Test(arguments: ["leaky", "separate", "readBefore"])
    func reluThatCannotBeFusedStays(_ kind: String) throws {
        var spec: NetSpec
        switch kind {
        case "leaky": spec = Self.net(relu2: Self.relu("relu2", on: "conv2", slope: 0.1))
        case "separate": spec = Self.net(relu2: Self.relu("relu2", on: "conv2", inPlace: false))
        default:
            spec = Self.net()
            // A Flatten reads conv2 before relu2 changes it in place (a TEST net has no splits).
            let index = try #require(spec.layers.firstIndex { $0.name == "relu2" })
            spec.layers.insert(LayerSpec(name: "peek", kind: .flatten(FlattenParams()), bottoms: ["conv2"], tops: ["peek"]),
                               at: index)
        }
        let graph = try Compiler.compile(spec, for: .test, store: ParameterStore(seed: 5))
        #expect(graph.layer(named: "relu2") is ReLULayer)
        #expect((graph.layer(named: "relu1") is FusedReLULayer) == (OneDNNLibrary.shared != nil))
    }
}
