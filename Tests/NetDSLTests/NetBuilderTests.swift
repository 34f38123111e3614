import Foundation
import Testing
@testable import NetDSL
@testable import Recipes

@Suite struct NetBuilderTests {
    @Test func phaseScopesStampTheirLayers() {
        let net = Net("n") {
            Train { Data(lmdb: "a", batch: 4) }
            Test { Data(lmdb: "b", batch: 2) }
            InnerProduct("ip", outputs: 3)
            Test { Accuracy() }
            SoftmaxWithLoss()
        }.spec
        #expect(net.layers.map(\.phase) == [.train, .test, nil, .test, nil])
        #expect(net.layers(in: .train).map(\.name) == ["data", "ip", "loss"])
        #expect(net.layers(in: .test).map(\.name) == ["data", "ip", "accuracy", "loss"])
    }

    @Test func unnamedLayersGetCaffeStyleNames() {
        let net = Net("n") {
            Input(shape: [1, 1, 8, 8])
            Convolution(outputs: 2, kernel: 3)
            ReLU()
            Convolution(outputs: 2, kernel: 3)
            ReLU()
            Pooling(.max, kernel: 2, stride: 2)
        }.spec
        #expect(net.layers.map(\.name) == ["input", "conv1", "relu1", "conv2", "relu2", "pool1"])
    }

    @Test func ifAndForWorkInTheBuilder() {
        let deep = true
        let net = Net("n") {
            Input(shape: [1, 4])
            for i in 1...3 {
                InnerProduct("ip\(i)", outputs: 4)
                if deep { ReLU("relu\(i)") } else { Sigmoid("sig\(i)") }
            }
        }.spec
        #expect(net.layers.map(\.name) == ["input", "ip1", "relu1", "ip2", "relu2", "ip3", "relu3"])
    }

    @Test func chainingResolvesInputsOutputsAndInPlaceLayers() throws {
        let net = Net("n") {
            Train { Data(lmdb: "a", batch: 4) }
            Test { Data(lmdb: "b", batch: 2) }
            Convolution("conv1", outputs: 2, kernel: 3)
            ReLU()
            InnerProduct("ip", outputs: 3)
            Test { Accuracy("acc") }
            SoftmaxWithLoss("loss")
        }.spec
        let test = try net.resolved(for: .test)
        let byName = Dictionary(uniqueKeysWithValues: test.layers.map { ($0.name, $0) })
        #expect(byName["data"]?.tops == ["data", "label"])
        #expect(byName["conv1"]?.bottoms == ["data"])
        #expect(byName["relu1"]?.bottoms == ["conv1"])
        #expect(byName["relu1"]?.tops == ["conv1"])
        #expect(byName["ip"]?.bottoms == ["conv1"])
        #expect(byName["acc"]?.bottoms == ["ip", "label"])
        // The loss reads the inner product, not the accuracy before it.
        #expect(byName["loss"]?.bottoms == ["ip", "label"])
        let train = try net.resolved(for: .train)
        #expect(!train.layers.contains { $0.name == "acc" })
    }

    @Test func namedBlobsBranchAndJoin() throws {
        let net = Net("n") {
            Input(shape: [2, 3, 4, 4])
            Convolution("a", outputs: 2, kernel: 1).inputs("data")
            Convolution("b", outputs: 2, kernel: 1).inputs("data")
            Concat("joined", "a", "b")
            Eltwise("sum", .sum, "a", "b")
        }.spec
        let r = try net.resolved(for: .test)
        #expect(r.layers.first { $0.name == "joined" }?.bottoms == ["a", "b"])
        #expect(r.layers.first { $0.name == "sum" }?.tops == ["sum"])
    }

    @Test func wrongRecipesAreErrorsThatNameTheLayerAndLine() throws {
        let line = #line + 3
        let net = Net("n") {
            Input(shape: [1, 4])
            InnerProduct("ip", outputs: 2).inputs("nothing")
        }.spec
        do {
            _ = try net.resolved(for: .train)
            Issue.record("expected an error")
        } catch let error as SpecError {
            #expect(error.description.contains("'ip'"))
            #expect(error.description.contains("nothing"))
            #expect(error.location.line == line)
            #expect(error.location.fileID.hasSuffix("NetBuilderTests.swift"))
        }
        let duplicate = Net("n") {
            Input(shape: [1, 4])
            InnerProduct("ip", outputs: 2)
            InnerProduct("ip", outputs: 2)
        }.spec
        #expect(throws: SpecError.self) { try duplicate.resolved(for: .train) }
        let noData = Net("n") {
            Train { Data(lmdb: "a", batch: 1) }
            InnerProduct("ip", outputs: 2)
        }.spec
        #expect(throws: SpecError.self) { try noData.resolved(for: .test) }
        let unnamedJoin = Net("n") {
            Input(shape: [1, 4])
            Concat("c")
        }.spec
        #expect(throws: SpecError.self) { try unnamedJoin.resolved(for: .test) }
    }
}
