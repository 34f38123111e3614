import Foundation
import Testing
@testable import NetDSL
@testable import Recipes
@testable import Runtime

@Suite struct CompilerTests {
    /// CaffeNet with its data layers swapped for inputs of the same shape (ImageNet is not here).
    static func caffeNet(batch: Int) -> NetSpec {
        var net = CaffeNet().net.spec
        for i in net.layers.indices {
            if case .data = net.layers[i].kind {
                net.layers[i].kind = .input(InputParams(shapes: [[batch, 3, 227, 227], [batch]]))
            }
        }
        return net
    }

    @Test func caffeNetBlobShapesMatchCaffes() throws {
        let store = ParameterStore(seed: 1)
        let train = try Compiler.compile(Self.caffeNet(batch: 2), for: .train, store: store)
        // Caffe's shapes for bvlc_reference_caffenet (per image).
        let expected: [String: [Int]] = [
            "data": [3, 227, 227], "conv1": [96, 55, 55], "pool1": [96, 27, 27], "norm1": [96, 27, 27],
            "conv2": [256, 27, 27], "pool2": [256, 13, 13], "norm2": [256, 13, 13],
            "conv3": [384, 13, 13], "conv4": [384, 13, 13], "conv5": [256, 13, 13],
            "pool5": [256, 6, 6], "fc6": [4096], "fc7": [4096], "fc8": [1000],
        ]
        for (name, shape) in expected {
            let blob = try #require(train.blobs[name], "no blob \(name)")
            #expect(blob.shape == [2] + shape, "\(name) is \(blob.shape)")
        }
        #expect(train.blobs["loss"]?.count == 1)
        #expect(train.outputs.map(\.name) == ["loss"])
        #expect(train.outputs.first?.lossWeight == 1)

        let test = try Compiler.compile(Self.caffeNet(batch: 1), for: .test, store: store)
        #expect(test.blobs["fc8"]?.shape == [1, 1000])
        #expect(test.outputs.map(\.name) == ["accuracy", "loss"])

        // Parameters: shapes as Caffe's, shared between the phases.
        let shapes = Dictionary(uniqueKeysWithValues: store.parameters.map { ($0.key, $0.tensor.shape) })
        #expect(shapes["conv1.0"] == [96, 3, 11, 11])
        #expect(shapes["conv2.0"] == [256, 48, 5, 5])
        #expect(shapes["conv4.0"] == [384, 192, 3, 3])
        #expect(shapes["fc6.0"] == [4096, 9216])
        #expect(shapes["fc8.1"] == [1000])
        #expect(store.parameters.count == 16)
        let total = store.parameters.reduce(0) { $0 + $1.tensor.count }
        #expect(total == 60_965_224)
        #expect(train.layer(named: "conv1")?.parameters[0] === test.layer(named: "conv1")?.parameters[0])
        #expect(store.parameter(named: "conv2.1")?.lrMult == 2)
        #expect(store.parameter(named: "conv2.1")?.decayMult == 0)
    }

    @Test func fillersFollowTheRecipe() throws {
        let store = ParameterStore(seed: 3)
        _ = try Compiler.compile(Self.caffeNet(batch: 1), for: .test, store: store)
        let conv2Bias = try #require(store.parameter(named: "conv2.1")).tensor
        #expect(conv2Bias.values.allSatisfy { $0 == 1 })
        let fc6 = try #require(store.parameter(named: "fc6.0")).tensor
        var sum: Double = 0, squares: Double = 0
        for v in fc6.values { sum += Double(v); squares += Double(v) * Double(v) }
        let n = Double(fc6.count)
        let std = (squares / n - (sum / n) * (sum / n)).squareRoot()
        #expect(abs(std - 0.005) < 0.0001, "fc6 std \(std)")
        #expect(abs(sum / n) < 0.0001)
    }

    @Test func shapeErrorsNameTheLayerAndRecipeLine() throws {
        let line = #line + 3
        let net = Net("bad") {
            Input(shape: [1, 1, 4, 4])
            Convolution("big", outputs: 2, kernel: 5)
        }.spec
        do {
            _ = try Compiler.compile(net, for: .train, store: ParameterStore())
            Issue.record("expected a shape error")
        } catch let error as LayerError {
            #expect(error.layer.contains("'big'"))
            #expect(error.location.line == line)
            #expect(error.description.contains("CompilerTests.swift:\(line)"))
        }
    }

    @Test func missingDatabaseIsAnErrorNotACrash() {
        let net = Net("n") {
            Data(lmdb: "/nonexistent/train_lmdb", batch: 2)
            InnerProduct("ip", outputs: 2)
            SoftmaxWithLoss()
        }.spec
        #expect(throws: (any Error).self) { try Compiler.compile(net, for: .train, store: ParameterStore()) }
    }

    @Test func branchesGetSplitsThatSumGradients() throws {
        let net = Net("branch") {
            Input(shapes: [[2, 3], [2]])
            InnerProduct("a", outputs: 4).weights(.gaussian(std: 0.5)).bias(.gaussian(std: 0.5))
            InnerProduct("b", outputs: 4).inputs("a").weights(.gaussian(std: 0.5))
            InnerProduct("c", outputs: 4).inputs("a").weights(.gaussian(std: 0.5))
            Eltwise("sum", .sum, "b", "c")
            SoftmaxWithLoss("loss").inputs("sum", "label")
        }.spec
        let store = ParameterStore(seed: 11)
        let graph = try Compiler.compile(net, for: .train, store: store)
        #expect(graph.layers.contains { $0.spec.kind == .split })
        let data = try #require(graph.blobs["data"])
        for i in 0..<data.count { data.data[i] = Float(i % 5) * 0.3 - 0.5 }
        let label = try #require(graph.blobs["label"])
        label.data[0] = 1
        label.data[1] = 3

        // Whole-graph finite differences on the first layer's weights, which get gradients
        // through both branches.
        for p in store.parameters { p.tensor.zeroDiff() }
        try graph.forward()
        graph.backward()
        let weights = try #require(store.parameter(named: "a.0")).tensor
        let analytic = weights.gradients
        let h: Float = 1e-2
        for i in 0..<weights.count {
            let original = weights.data[i]
            weights.data[i] = original + h
            let plus = Double(try graph.forward())
            weights.data[i] = original - h
            let minus = Double(try graph.forward())
            weights.data[i] = original
            let numeric = Float((plus - minus) / (2 * Double(h)))
            #expect(abs(numeric - analytic[i]) <= 1e-3 * max(1, abs(numeric), abs(analytic[i])),
                    "a.0[\(i)]: analytic \(analytic[i]) numeric \(numeric)")
        }
    }

    @Test func weightSharingByNameUsesOneBlob() throws {
        let net = Net("shared") {
            Input(shapes: [[2, 4], [2]])
            InnerProduct("p", outputs: 4).inputs("data").outputs("p").sharing("w", "b")
            InnerProduct("q", outputs: 4).inputs("p").outputs("q").sharing("w", "b")
        }.spec
        let store = ParameterStore()
        let graph = try Compiler.compile(net, for: .train, store: store)
        #expect(store.parameters.count == 2)
        #expect(graph.layer(named: "p")?.parameters[0] === graph.layer(named: "q")?.parameters[0])
    }
}
