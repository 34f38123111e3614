import Foundation
import NetDSL
import SwiftProtobuf
import Testing
@testable import Runtime

/// A fresh directory for one test's files.
private final class Scratch {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("crema-io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
    deinit { try? FileManager.default.removeItem(at: url) }
}

private func modelError(_ body: () throws -> Void) -> ModelFileError? {
    do {
        try body()
        return nil
    } catch let error as ModelFileError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

private let sampleLayers = [
    CaffeModelLayer(name: "conv1", type: "Convolution", blobs: [
        CaffeBlob(shape: [2, 1, 2, 2], data: [1, -2, 3, -4, 0.5, 0.25, -0.125, 8]),
        CaffeBlob(shape: [2], data: [0.1, -0.2]),
    ]),
    CaffeModelLayer(name: "relu1", type: "ReLU", blobs: []),
    CaffeModelLayer(name: "ip1", type: "InnerProduct", blobs: [CaffeBlob(shape: [1, 3], data: [7, 8, 9])]),
]

@Suite struct CaffeModelTests {
    @Test func roundTrip() throws {
        let dir = try Scratch()
        let url = dir.file("net_iter_100.caffemodel")
        try CaffeModel.write(netName: "LeNet", layers: sampleLayers, to: url)
        let (name, layers) = try CaffeModel.read(from: url)
        #expect(name == "LeNet")
        #expect(layers == sampleLayers)
    }

    @Test func bytesAreACaffeNetParameter() throws {
        let dir = try Scratch()
        let url = dir.file("m.caffemodel")
        try CaffeModel.write(netName: "LeNet", layers: sampleLayers, to: url)
        let net = try Caffe_NetParameter(serializedBytes: try Data(contentsOf: url))
        #expect(net.name == "LeNet")
        #expect(net.layers.isEmpty)
        #expect(net.layer.map(\.name) == ["conv1", "relu1", "ip1"])
        #expect(net.layer.map(\.type) == ["Convolution", "ReLU", "InnerProduct"])
        let weights = net.layer[0].blobs[0]
        #expect(weights.shape.dim == [2, 1, 2, 2])
        #expect(weights.data == [1, -2, 3, -4, 0.5, 0.25, -0.125, 8])
        #expect(!weights.hasNum && !weights.hasChannels && weights.diff.isEmpty)
        #expect(net.layer[1].blobs.isEmpty)
    }

    @Test func readsLegacyV1Layers() throws {
        func legacyBlob(_ n: Int32, _ c: Int32, _ h: Int32, _ w: Int32, _ data: [Float]) -> Caffe_BlobProto {
            var blob = Caffe_BlobProto()
            (blob.num, blob.channels, blob.height, blob.width) = (n, c, h, w)
            blob.data = data
            return blob
        }
        var ip = Caffe_V1LayerParameter()
        ip.name = "ip1"
        ip.type = .innerProduct
        ip.blobs = [legacyBlob(1, 1, 3, 2, [1, 2, 3, 4, 5, 6]), legacyBlob(1, 1, 1, 3, [0.5, 0.5, 0.5])]
        var loss = Caffe_V1LayerParameter()
        loss.name = "loss"
        loss.type = .softmaxLoss
        var net = Caffe_NetParameter()
        net.name = "old"
        net.layers = [ip, loss]

        let dir = try Scratch()
        let url = dir.file("old.caffemodel")
        try net.serializedData().write(to: url)
        let (name, layers) = try CaffeModel.read(from: url)
        #expect(name == "old")
        #expect(layers.map(\.name) == ["ip1", "loss"])
        #expect(layers.map(\.type) == ["InnerProduct", "SoftmaxWithLoss"])
        #expect(layers[0].blobs.map(\.shape) == [[1, 1, 3, 2], [1, 1, 1, 3]])

        // The stored 1x1x3x2 weight fills the model's 3x2 weight; a 2x3 one does not fit.
        let weights = Tensor(shape: [3, 2]), bias = Tensor(shape: [3])
        try layers[0].blobs[0].load(into: weights, layer: "ip1", index: 0, file: url)
        try layers[0].blobs[1].load(into: bias, layer: "ip1", index: 1, file: url)
        #expect(weights.values == [1, 2, 3, 4, 5, 6])
        #expect(bias.values == [0.5, 0.5, 0.5])
        let error = modelError { try layers[0].blobs[0].load(into: Tensor(shape: [2, 3]), layer: "ip1", index: 0, file: url) }
        #expect(error?.reason == .shapeMismatch)
        #expect(error?.description.contains("ip1") == true)
    }

    @Test func readsDoubleData() throws {
        var blob = Caffe_BlobProto()
        blob.shape.dim = [2]
        blob.doubleData = [1.5, -2.5]
        var layer = Caffe_LayerParameter()
        layer.name = "ip"
        layer.type = "InnerProduct"
        layer.blobs = [blob]
        var net = Caffe_NetParameter()
        net.layer = [layer]
        let dir = try Scratch()
        let url = dir.file("d.caffemodel")
        try net.serializedData().write(to: url)
        #expect(try CaffeModel.read(from: url).layers[0].blobs == [CaffeBlob(shape: [2], data: [1.5, -2.5])])
    }

    @Test func truncatedFileIsReportedAsSuch() throws {
        let dir = try Scratch()
        let url = dir.file("cut.caffemodel")
        try CaffeModel.write(netName: "LeNet", layers: sampleLayers, to: url)
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count - 5).write(to: url)
        let error = modelError { _ = try CaffeModel.read(from: url) }
        #expect(error?.reason == .truncated)
        #expect(error?.description.contains(url.path) == true)
    }

    @Test func garbageIsNotAProtobuf() throws {
        let dir = try Scratch()
        let url = dir.file("junk.caffemodel")
        try Data([0xFF, 0xFF, 0xFF, 0xFF, 0x07]).write(to: url)
        let garbage = modelError { _ = try CaffeModel.read(from: url) }
        #expect(garbage?.reason == .notProtobuf)
        // The words a user reads, not SwiftProtobuf's case name.
        #expect(garbage?.description.contains("not a protobuf message") == true, "\(garbage.map { "\($0)" } ?? "")")
        #expect(garbage?.description.contains("malformedProtobuf") == false)
        try Data().write(to: url)
        #expect(modelError { _ = try CaffeModel.read(from: url) }?.reason == .incomplete)
    }

    @Test func missingFileNamesThePath() throws {
        let dir = try Scratch()
        let url = dir.file("absent.caffemodel")
        let error = modelError { _ = try CaffeModel.read(from: url) }
        #expect(error?.reason == .unreadable)
        #expect(error?.path == url.path)
    }

    @Test func blobWhoseDataDoesNotMatchItsShape() throws {
        var blob = Caffe_BlobProto()
        blob.shape.dim = [2, 2]
        blob.data = [1, 2, 3]
        var layer = Caffe_LayerParameter()
        layer.name = "conv9"
        layer.blobs = [blob]
        var net = Caffe_NetParameter()
        net.layer = [layer]
        let dir = try Scratch()
        let url = dir.file("bad.caffemodel")
        try net.serializedData().write(to: url)
        let error = modelError { _ = try CaffeModel.read(from: url) }
        #expect(error?.reason == .badBlob)
        #expect(error?.message.contains("conv9") == true)
    }

    @Test func solverStateGivenForWeights() throws {
        let dir = try Scratch()
        let url = dir.file("net_iter_100.solverstate")
        try SolverStateFile.write(SolverState(iteration: 100, learnedNet: "net_iter_100.caffemodel",
                                              history: [CaffeBlob(shape: [2], data: [1, 2])]), to: url)
        let error = modelError { _ = try CaffeModel.read(from: url) }
        #expect(error?.reason == .wrongKind)
        #expect(error?.message.contains("net_iter_100.caffemodel") == true)
    }

    @Test func hdf5SnapshotsAreNamed() throws {
        let dir = try Scratch()
        let url = dir.file("net.caffemodel.h5")
        try Data([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]).write(to: url)
        let error = modelError { _ = try CaffeModel.read(from: url) }
        #expect(error?.message.contains("HDF5") == true)
    }
}

@Suite struct AtomicWriteTests {
    @Test func replacesTheFileAndLeavesNoTemporaries() throws {
        let dir = try Scratch()
        let url = dir.file("out.bin")
        try writeAtomically(Data([1, 2, 3]), to: url)
        try writeAtomically(Data([4, 5]), to: url)
        #expect(try Data(contentsOf: url) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["out.bin"])
    }

    @Test func unwritableDirectoryNamesThePath() throws {
        let dir = try Scratch()
        let url = dir.file("missing/out.bin")
        do {
            try writeAtomically(Data([1]), to: url)
            Issue.record("expected an error")
        } catch let error as FileWriteError {
            #expect(error.path == url.path)
            #expect(error.description.contains(url.path))
        }
    }
}
