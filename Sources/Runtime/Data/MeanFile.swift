import Foundation
import SwiftProtobuf

/// A mean image, `channels x height x width` floats in CHW order, subtracted from every record
/// before scaling.
public struct MeanImage: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var values: [Float]

    public init(channels: Int, height: Int, width: Int, values: [Float]) {
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }

    /// `[channels, height, width]`.
    public var shape: [Int] { [channels, height, width] }
}

/// Caffe's mean files: a BlobProto (`.binaryproto`) of shape `[1, C, H, W]` with float data.
public enum MeanFile {
    /// Reads a mean image; also accepts the legacy num/channels/height/width fields, a plain
    /// `[C, H, W]` shape and double data.
    public static func read(_ url: URL) throws -> MeanImage {
        let path = url.path
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            let missing = !FileManager.default.fileExists(atPath: path)
            throw DataError.meanFile(path: path, problem: missing
                ? "the file does not exist (the path is relative to the current directory)"
                : "cannot read it: \(error.localizedDescription)")
        }
        return try decode(bytes, path: path)
    }

    /// Decodes a mean file's bytes; `path` names it in errors.
    public static func decode(_ bytes: Data, path: String) throws -> MeanImage {
        let blob: Caffe_BlobProto
        do {
            blob = try Caffe_BlobProto(serializedBytes: bytes)
        } catch {
            throw DataError.meanFile(path: path, problem: "not a Caffe BlobProto: " + ProtobufDecodingProblem.describe(error))
        }
        var dims: [Int]
        if blob.hasShape {
            dims = blob.shape.dim.map { Int($0) }
        } else {
            dims = [Int(blob.num), Int(blob.channels), Int(blob.height), Int(blob.width)]
        }
        if dims.count == 3 { dims.insert(1, at: 0) }
        guard dims.count == 4 else {
            throw DataError.meanFile(path: path, problem: "shape \(shapeText(dims)) has \(dims.count) axes; a mean image is 1xCxHxW")
        }
        guard dims[0] == 1 else {
            throw DataError.meanFile(path: path, problem: "holds \(dims[0]) images (shape \(shapeText(dims))); a mean file holds one")
        }
        guard dims.allSatisfy({ $0 > 0 }) else {
            throw DataError.meanFile(path: path, problem: "shape \(shapeText(dims)) is not valid: every size must be positive")
        }
        let values = blob.data.isEmpty ? blob.doubleData.map { Float($0) } : blob.data
        let (count, problem) = Tensor.elementCount(dims)
        if let problem {
            throw DataError.meanFile(path: path, problem: "shape \(shapeText(dims)) cannot be read: \(problem)")
        }
        guard values.count == count else {
            throw DataError.meanFile(path: path, problem: "holds \(values.count) values for shape \(shapeText(dims)), which needs \(count)")
        }
        return MeanImage(channels: dims[1], height: dims[2], width: dims[3], values: values)
    }

    /// Writes `mean` as a `[1, C, H, W]` BlobProto through a temporary file renamed into place,
    /// so a reader never sees half a file.
    public static func write(_ mean: MeanImage, to url: URL) throws {
        let path = url.path
        guard mean.values.count == mean.channels * mean.height * mean.width, mean.values.count > 0 else {
            throw DataError.meanFile(path: path, problem: "\(mean.values.count) values do not fill shape \(shapeText(mean.shape))")
        }
        var blob = Caffe_BlobProto()
        var shape = Caffe_BlobShape()
        shape.dim = [1, Int64(mean.channels), Int64(mean.height), Int64(mean.width)]
        blob.shape = shape
        blob.data = mean.values
        let bytes: Data
        do {
            bytes = try blob.serializedData()
        } catch {
            throw DataError.meanFile(path: path, problem: "cannot encode it: \(error)")
        }
        do {
            try writeAtomically(bytes, to: url)
        } catch {
            throw DataError.meanFile(path: path, problem: "cannot write it: \(error)")
        }
    }

    /// The per-pixel mean of every record in a database (Caffe's compute_image_mean).
    public static func compute(database path: String) throws -> MeanImage {
        let reader = try RecordDatabases.open(path: path)
        let total = try reader.count()
        let cursor = try reader.makeCursor()
        var sum: [Double] = []
        var shape: [Int] = []
        for _ in 0..<total {
            let entry = try cursor.next()
            do {
                let datum = try Caffe_Datum(record: entry.value)
                let pixels = try datum.pixels()
                if shape.isEmpty {
                    shape = datum.shape
                    sum = [Double](repeating: 0, count: pixels.count)
                } else if datum.shape != shape {
                    throw DataError.badRecord(database: nil, key: nil,
                                              problem: "is \(shapeText(datum.shape)) but the first record is \(shapeText(shape)); a mean needs one size")
                }
                for i in 0..<pixels.count { sum[i] += Double(pixels[i]) }
            } catch let error as DataError {
                throw error.located(database: path, key: entry.keyText)
            }
        }
        guard total > 0 else { throw DataError.databaseEmpty(path: path) }
        return MeanImage(channels: shape[0], height: shape[1], width: shape[2],
                         values: sum.map { Float($0 / Double(total)) })
    }
}
