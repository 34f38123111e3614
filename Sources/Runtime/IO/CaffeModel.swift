import Foundation
import SwiftProtobuf

/// A weights or solver-state file that cannot be read or does not hold what it should.
public struct ModelFileError: Error, CustomStringConvertible, Equatable {
    public enum Reason: Equatable, Sendable {
        /// Missing or unreadable.
        case unreadable
        /// Not a protocol buffer of the expected message.
        case notProtobuf
        /// Ends in the middle of a field: an interrupted copy or write.
        case truncated
        /// A blob whose stored values do not match its shape.
        case badBlob
        /// A blob whose shape does not fit the model's parameter.
        case shapeMismatch
        /// The other kind of snapshot file (.caffemodel for .solverstate or the reverse).
        case wrongKind
        /// A valid message without the content this kind of file must have.
        case incomplete
    }

    public var path: String
    public var reason: Reason
    public var message: String

    public init(path: String, _ reason: Reason, _ message: String) {
        self.path = path
        self.reason = reason
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}

/// One stored blob: its shape and values (Caffe's `BlobProto` without gradients).
public struct CaffeBlob: Equatable, Sendable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        self.shape = shape
        self.data = data
    }

    /// A copy of a tensor's values.
    public init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, data: tensor.values)
    }

    public var count: Int { shape.reduce(1, *) }

    /// Whether this blob can fill a blob of `expected` shape: the same shape, or the same once
    /// leading axes of size 1 are dropped from both (Caffe's legacy 4-D blobs store an
    /// InnerProduct weight OxI as 1x1xOxI and a bias O as 1x1x1xO).
    public func fits(_ expected: [Int]) -> Bool {
        guard data.count == expected.reduce(1, *) else { return false }
        if shape == expected { return true }
        return shape.drop(while: { $0 == 1 }).elementsEqual(expected.drop(while: { $0 == 1 }))
    }

    /// Copies the values into `tensor`, which must fit (see `fits`); the error names the layer
    /// and file, as Caffe's "Cannot copy param" does.
    public func load(into tensor: Tensor, layer: String, index: Int, file: URL) throws {
        guard fits(tensor.shape) else {
            throw ModelFileError(path: file.path, .shapeMismatch,
                                 "cannot copy blob \(index) of layer '\(layer)': it is \(shapeText(shape)) in the file but the model needs \(shapeText(tensor.shape)). To learn this layer's parameters from scratch instead, rename the layer")
        }
        data.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { tensor.data.update(from: base, count: tensor.count) }
        }
    }
}

/// One layer's learned blobs in a `.caffemodel`.
public struct CaffeModelLayer: Equatable, Sendable {
    public var name: String
    /// The modern layer type name (`Convolution`, `InnerProduct`...); legacy V1 enums are
    /// converted to these.
    public var type: String
    public var blobs: [CaffeBlob]

    public init(name: String, type: String, blobs: [CaffeBlob]) {
        self.name = name
        self.type = type
        self.blobs = blobs
    }
}

/// Caffe's `.caffemodel` weight files: a binary `NetParameter` with one layer per entry and
/// its blobs.
public enum CaffeModel {
    /// Writes the weights atomically (a crash leaves the old file or the new one).
    public static func write(netName: String, layers: [CaffeModelLayer], to url: URL) throws {
        var net = Caffe_NetParameter()
        net.name = netName
        net.layer = layers.map { layer in
            var proto = Caffe_LayerParameter()
            proto.name = layer.name
            proto.type = layer.type
            proto.blobs = layer.blobs.map(blobProto)
            return proto
        }
        try writeAtomically(try serialized(net, url), to: url)
    }

    /// Reads the layers with their blobs, from the modern `layer` field or the legacy V1
    /// `layers` field.
    public static func read(from url: URL) throws -> (netName: String, layers: [CaffeModelLayer]) {
        try decode(try readFile(url, kind: ".caffemodel"), source: url)
    }

    /// Decodes a .caffemodel's bytes; `url` names the file in errors.
    public static func decode(_ bytes: Data, source url: URL) throws -> (netName: String, layers: [CaffeModelLayer]) {
        let net: Caffe_NetParameter
        do {
            net = try Caffe_NetParameter(serializedBytes: bytes)
        } catch {
            if let state = try? Caffe_SolverState(serializedBytes: bytes), looksLikeSolverState(state) {
                throw wrongKindSolverState(url, state)
            }
            throw decodingError(error, url, what: "a Caffe .caffemodel (binary NetParameter)")
        }
        // Every top-level NetParameter field is in the schema, so unknown ones (a solver state's
        // `iter`) mean this is some other message whose fields happened to decode.
        if (net.layer.isEmpty && net.layers.isEmpty) || !net.unknownFields.data.isEmpty,
           let state = try? Caffe_SolverState(serializedBytes: bytes), looksLikeSolverState(state) {
            throw wrongKindSolverState(url, state)
        }
        if net.layer.isEmpty && net.layers.isEmpty {
            throw ModelFileError(path: url.path, .incomplete, "has no layers: not a Caffe .caffemodel (weights) file")
        }
        if !net.layer.isEmpty && !net.layers.isEmpty {
            throw ModelFileError(path: url.path, .notProtobuf,
                                 "has layers in both the 'layer' and the legacy 'layers' field; Caffe reads only one of them")
        }
        var layers: [CaffeModelLayer] = []
        if !net.layer.isEmpty {
            for proto in net.layer {
                layers.append(CaffeModelLayer(name: proto.name, type: proto.type,
                                              blobs: try blobs(proto.blobs, layer: proto.name, url)))
            }
        } else {
            for proto in net.layers {
                layers.append(CaffeModelLayer(name: proto.name, type: modernTypeName(proto.type),
                                              blobs: try blobs(proto.blobs, layer: proto.name, url)))
            }
        }
        return (net.name, layers)
    }

    /// The modern type name of a legacy V1 layer type (Caffe's `UpgradeV1LayerType`).
    public static func modernTypeName(_ type: Caffe_V1LayerParameter.LayerType) -> String {
        switch type {
        case .none: ""
        case .absval: "AbsVal"
        case .accuracy: "Accuracy"
        case .argmax: "ArgMax"
        case .bnll: "BNLL"
        case .concat: "Concat"
        case .contrastiveLoss: "ContrastiveLoss"
        case .convolution: "Convolution"
        case .data: "Data"
        case .deconvolution: "Deconvolution"
        case .dropout: "Dropout"
        case .dummyData: "DummyData"
        case .euclideanLoss: "EuclideanLoss"
        case .eltwise: "Eltwise"
        case .exp: "Exp"
        case .flatten: "Flatten"
        case .hdf5Data: "HDF5Data"
        case .hdf5Output: "HDF5Output"
        case .hingeLoss: "HingeLoss"
        case .im2Col: "Im2col"
        case .imageData: "ImageData"
        case .infogainLoss: "InfogainLoss"
        case .innerProduct: "InnerProduct"
        case .lrn: "LRN"
        case .memoryData: "MemoryData"
        case .multinomialLogisticLoss: "MultinomialLogisticLoss"
        case .mvn: "MVN"
        case .pooling: "Pooling"
        case .power: "Power"
        case .relu: "ReLU"
        case .sigmoid: "Sigmoid"
        case .sigmoidCrossEntropyLoss: "SigmoidCrossEntropyLoss"
        case .silence: "Silence"
        case .softmax: "Softmax"
        case .softmaxLoss: "SoftmaxWithLoss"
        case .split: "Split"
        case .slice: "Slice"
        case .tanh: "TanH"
        case .windowData: "WindowData"
        case .threshold: "Threshold"
        }
    }

    // MARK: - Shared by the snapshot formats

    static func blobProto(_ blob: CaffeBlob) -> Caffe_BlobProto {
        var proto = Caffe_BlobProto()
        var shape = Caffe_BlobShape()
        shape.dim = blob.shape.map(Int64.init)
        proto.shape = shape
        proto.data = blob.data
        return proto
    }

    /// A stored blob as Caffe's `Blob::FromProto` reads it: legacy num/channels/height/width
    /// win when present, float values unless only double values are stored.
    static func blob(_ proto: Caffe_BlobProto, what: @autoclosure () -> String, _ url: URL) throws -> CaffeBlob {
        let shape: [Int]
        if proto.hasNum || proto.hasChannels || proto.hasHeight || proto.hasWidth {
            shape = [Int(proto.num), Int(proto.channels), Int(proto.height), Int(proto.width)]
        } else {
            shape = proto.shape.dim.map { Int(clamping: $0) }
        }
        if let bad = shape.first(where: { $0 < 0 }) {
            throw ModelFileError(path: url.path, .badBlob, "\(what()) has a negative size \(bad) in its shape \(shape)")
        }
        let (count, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        let data = proto.doubleData.isEmpty ? proto.data : proto.doubleData.map { Float($0) }
        guard !overflow, count == data.count else {
            throw ModelFileError(path: url.path, .badBlob,
                                 "\(what()) has shape \(shapeText(shape)) (\(overflow ? "too many" : String(count)) values) but stores \(data.count) values; the file is damaged or was not written by Caffe")
        }
        return CaffeBlob(shape: shape, data: data)
    }

    private static func blobs(_ protos: [Caffe_BlobProto], layer: String, _ url: URL) throws -> [CaffeBlob] {
        try protos.enumerated().map { i, proto in try blob(proto, what: "blob \(i) of layer '\(layer)'", url) }
    }

    static func serialized(_ message: some SwiftProtobuf.Message, _ url: URL) throws -> Data {
        do {
            return try message.serializedData()
        } catch {
            throw ModelFileError(path: url.path, .badBlob, "cannot encode the snapshot: \(error)")
        }
    }

    /// The file's bytes, with messages for a missing file and for Caffe's HDF5 snapshots.
    static func readFile(_ url: URL, kind: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ModelFileError(path: url.path, .unreadable, "no such file")
        }
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw ModelFileError(path: url.path, .unreadable, "cannot read the file: \(error.localizedDescription)")
        }
        if bytes.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) {
            throw ModelFileError(path: url.path, .notProtobuf,
                                 "is an HDF5 file; only Caffe's binary protobuf \(kind) snapshots (snapshot_format: BINARYPROTO) can be read")
        }
        return bytes
    }

    static func decodingError(_ error: Error, _ url: URL, what: String) -> ModelFileError {
        if let e = error as? BinaryDecodingError, case .truncated = e {
            return ModelFileError(path: url.path, .truncated,
                                  "is truncated (it ends in the middle of a field); the copy or the write that made it was interrupted")
        }
        return ModelFileError(path: url.path, .notProtobuf, "is not \(what): \(ProtobufDecodingProblem.describe(error))")
    }

    /// Whether a message decoded from the file carries what Caffe always writes in a solver
    /// state: `iter`, field 1 as a varint. A NetParameter's field 1 is its name (a string), so
    /// no weights file decodes with `iter` set.
    static func looksLikeSolverState(_ state: Caffe_SolverState) -> Bool {
        state.hasIter
    }

    private static func wrongKindSolverState(_ url: URL, _ state: Caffe_SolverState) -> ModelFileError {
        let weights = state.hasLearnedNet && !state.learnedNet.isEmpty ? "; its weights are in \(state.learnedNet)" : ""
        return ModelFileError(path: url.path, .wrongKind,
                              "this is a .solverstate (solver history at iteration \(state.iter)), not a .caffemodel\(weights)")
    }
}
