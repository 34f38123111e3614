import Foundation
import SwiftProtobuf

/// Caffe's Datum record: one image (channels x height x width, as raw bytes or floats) and its
/// label, as Caffe's tools store them in an LMDB.
extension Caffe_Datum {
    /// A record of raw 8-bit pixels in CHW order.
    public init(channels: Int, height: Int, width: Int, bytes: Data, label: Int) {
        self.init()
        self.channels = Int32(clamping: channels)
        self.height = Int32(clamping: height)
        self.width = Int32(clamping: width)
        data = bytes
        self.label = Int32(clamping: label)
    }

    /// A record of raw 8-bit pixels in CHW order.
    public init(channels: Int, height: Int, width: Int, bytes: [UInt8], label: Int) {
        self.init(channels: channels, height: height, width: width, bytes: Data(bytes), label: label)
    }

    /// A record of float pixels in CHW order (Caffe's `float_data`).
    public init(channels: Int, height: Int, width: Int, floats: [Float], label: Int) {
        self.init()
        self.channels = Int32(clamping: channels)
        self.height = Int32(clamping: height)
        self.width = Int32(clamping: width)
        floatData = floats
        self.label = Int32(clamping: label)
    }

    /// Parses a record read from a database; a value that is not a Datum is `badRecord`.
    public init(record: Data) throws {
        do {
            try self.init(serializedBytes: record)
        } catch {
            throw DataError.badRecord(database: nil, key: nil, problem: "not a Caffe Datum: " + ProtobufDecodingProblem.describe(error))
        }
    }

    /// `[channels, height, width]`.
    public var shape: [Int] { [Int(channels), Int(height), Int(width)] }

    public var pixelCount: Int { Int(channels) * Int(height) * Int(width) }

    /// The pixels as floats, from the raw bytes or `float_data`, whichever the record holds.
    public func pixels() throws -> [Float] {
        try checkPixels()
        if !data.isEmpty { return data.map { Float($0) } }
        return floatData
    }

    /// Checks that the record holds exactly `pixelCount` raw pixels of one kind.
    public func checkPixels() throws {
        if encoded { throw DataError.encodedRecord(database: nil, key: nil) }
        guard channels > 0, height > 0, width > 0 else {
            throw DataError.badRecord(database: nil, key: nil,
                                      problem: "shape \(shapeText(shape)) is not valid: channels, height and width must be positive")
        }
        // Three Int32 fields can multiply past Int.max in a damaged record; check before using.
        let (hw, o1) = Int(height).multipliedReportingOverflow(by: Int(width))
        let (n, o2) = hw.multipliedReportingOverflow(by: Int(channels))
        guard !o1, !o2 else {
            throw DataError.badRecord(database: nil, key: nil,
                                      problem: "shape \(shapeText(shape)) is too large; the record is damaged, rebuild the database")
        }
        if !data.isEmpty {
            guard data.count == n else {
                throw DataError.badRecord(database: nil, key: nil,
                                          problem: "holds \(data.count) bytes for a \(shapeText(shape)) image, which needs \(n)")
            }
        } else {
            guard floatData.count == n else {
                throw DataError.badRecord(database: nil, key: nil,
                                          problem: "holds \(floatData.count) float values for a \(shapeText(shape)) image, which needs \(n)")
            }
        }
    }

    /// Caffe's database key: the record number zero-padded to eight digits, `_`, and a name
    /// (the image path for convert_imageset), so keys sort in insertion order.
    public static func key(index: Int, name: String) -> String {
        let digits = String(index)
        let padded = digits.count >= 8 ? digits : String(repeating: "0", count: 8 - digits.count) + digits
        return padded + "_" + name
    }
}
