import Foundation
import Testing
@testable import NetDSL
@testable import Runtime

/// `.caffemodel` files written by Google's protobuf (Fixtures/caffe/weights/make_fixtures.py),
/// not by us: V1 layers with legacy 4-D blobs, as the published CaffeNet weights are stored,
/// and current layers with BlobShape. Both load into the imported tiny net.
@Suite struct CaffeModelFixtureTests {
    /// Blob `k` of a layer in the fixtures: (k+1)(i+1)/100 with alternating sign, computed in
    /// double and rounded to float as the Python script stores it.
    static func expected(_ count: Int, blob k: Int) -> [Float] {
        (0..<count).map { i -> Float in
            let magnitude = Double((k + 1) * (i + 1)) / 100.0
            return Float(i % 2 == 0 ? magnitude : -magnitude)
        }
    }

    private func tinyGraph() throws -> Graph {
        let net = try CaffeImport.load(net: CaffeFixtures.path("weights/tiny.prototxt")).net
        return try Compiler.compile(net, for: .test, store: ParameterStore(seed: 3))
    }

    @Test(arguments: ["tiny_v1_legacy.caffemodel", "tiny_blobshape.caffemodel"])
    func loadsIntoTheImportedNet(file: String) throws {
        let url = URL(fileURLWithPath: CaffeFixtures.path("weights/\(file)"))
        let graph = try tinyGraph()
        let report = try Weights.load(url, into: graph, strict: true)
        #expect(report.loaded == ["conv1", "ip1"])
        #expect(report.skipped.isEmpty)
        let conv = try #require(graph.layer(named: "conv1")).parameters
        let ip = try #require(graph.layer(named: "ip1")).parameters
        #expect(conv.map(\.shape) == [[2, 1, 3, 3], [2]])
        #expect(ip.map(\.shape) == [[3, 8], [3]])
        #expect(conv[0].values == Self.expected(18, blob: 0))
        #expect(conv[1].values == Self.expected(2, blob: 1))
        #expect(ip[0].values == Self.expected(24, blob: 0))
        #expect(ip[1].values == Self.expected(3, blob: 1))

        // The loaded weights are the ones forward uses.
        let data = try #require(graph.blobs["data"])
        for i in 0..<data.count { data.data[i] = 1 }
        try graph.forward()
        let convOut = try #require(graph.blobs["conv1"])
        let w = Self.expected(18, blob: 0), b = Self.expected(2, blob: 1)
        #expect(abs(convOut.data[0] - (w[0..<9].reduce(0, +) + b[0])) < 1e-5)
    }

    @Test func legacyShapesAreReadAsStored() throws {
        let model = try CaffeModel.read(from: URL(fileURLWithPath: CaffeFixtures.path("weights/tiny_v1_legacy.caffemodel")))
        #expect(model.netName == "Tiny")
        #expect(model.layers.map(\.type) == ["Data", "Convolution", "InnerProduct"])
        #expect(model.layers[2].blobs.map(\.shape) == [[1, 1, 3, 8], [1, 1, 1, 3]])
    }

    @Test func aLegacyBlobOfTheRightCountButWrongShapeIsAnError() throws {
        let url = URL(fileURLWithPath: CaffeFixtures.path("weights/tiny_transposed.caffemodel"))
        let graph = try tinyGraph()
        do {
            try Weights.load(url, into: graph)
            Issue.record("expected a shape error")
        } catch let error as ModelFileError {
            #expect(error.reason == .shapeMismatch)
            #expect(error.message.contains("layer 'ip1'"))
            #expect(error.message.contains("1x1x8x3 in the file"))
            #expect(error.message.contains("needs 3x8"))
        }
    }
}
