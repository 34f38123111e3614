import Foundation

/// The few fields of TensorFlow's `Event` protobuf that scalar summaries need:
///
///     message Event   { double wall_time = 1; int64 step = 2;
///                       oneof what { string file_version = 3; Summary summary = 5; } }
///     message Summary { repeated Value value = 1; }
///     message Value   { string tag = 1; float simple_value = 2; }
///
/// Encoded by hand: TensorBoard's schema is not part of Proto/caffe.proto.
struct EventProto: Equatable {
    var wallTime: Double
    var step: Int64
    var fileVersion: String?
    var values: [Value] = []

    struct Value: Equatable {
        var tag: String
        /// `simple_value`; nil when the value carries its number some other way (a tensor, an image).
        var simpleValue: Float?
        /// `metadata` (field 9, a SummaryMetadata) and `tensor` (field 8, a TensorProto), encoded,
        /// for plugin records such as `HParamsSummary`'s.
        var metadata: [UInt8]? = nil
        var tensor: [UInt8]? = nil
    }

    /// The protobuf wire encoding.
    func serialized() -> [UInt8] {
        var out = ProtoWriter()
        out.fixed64(field: 1, wallTime.bitPattern)
        if step != 0 { out.varint(field: 2, UInt64(bitPattern: step)) }
        if let fileVersion { out.bytes(field: 3, Array(fileVersion.utf8)) }
        if !values.isEmpty {
            var summary = ProtoWriter()
            for v in values {
                var value = ProtoWriter()
                value.bytes(field: 1, Array(v.tag.utf8))
                if let simple = v.simpleValue { value.fixed32(field: 2, simple.bitPattern) }
                if let tensor = v.tensor { value.bytes(field: 8, tensor) }
                if let metadata = v.metadata { value.bytes(field: 9, metadata) }
                summary.bytes(field: 1, value.bytes)
            }
            out.bytes(field: 5, summary.bytes)
        }
        return out.bytes
    }

    /// Decodes an Event, skipping every field it does not know (graphs, images, plugin metadata).
    init(serialized bytes: [UInt8]) throws {
        wallTime = 0
        step = 0
        var reader = ProtoReader(bytes)
        while let (field, wire) = try reader.nextKey() {
            switch (field, wire) {
            case (1, .fixed64): wallTime = Double(bitPattern: try reader.fixed64())
            case (2, .varint): step = Int64(bitPattern: try reader.varint())
            case (3, .lengthDelimited): fileVersion = String(decoding: try reader.lengthDelimited(), as: UTF8.self)
            case (5, .lengthDelimited): values += try Self.decodeSummary(try reader.lengthDelimited())
            default: try reader.skip(wire)
            }
        }
    }

    init(wallTime: Double, step: Int64, fileVersion: String? = nil, values: [Value] = []) {
        self.wallTime = wallTime
        self.step = step
        self.fileVersion = fileVersion
        self.values = values
    }

    private static func decodeSummary(_ bytes: ArraySlice<UInt8>) throws -> [Value] {
        var reader = ProtoReader(bytes)
        var values: [Value] = []
        while let (field, wire) = try reader.nextKey() {
            guard field == 1, wire == .lengthDelimited else { try reader.skip(wire); continue }
            var valueReader = ProtoReader(try reader.lengthDelimited())
            var value = Value(tag: "", simpleValue: nil)
            while let (f, w) = try valueReader.nextKey() {
                switch (f, w) {
                case (1, .lengthDelimited): value.tag = String(decoding: try valueReader.lengthDelimited(), as: UTF8.self)
                case (2, .fixed32): value.simpleValue = Float(bitPattern: try valueReader.fixed32())
                default: try valueReader.skip(w)
                }
            }
            values.append(value)
        }
        return values
    }
}

enum WireType: UInt8 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
}

/// A bare protobuf encoder: keys, varints, little-endian fixed widths, length-delimited bytes.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    mutating func rawVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wire: WireType) {
        rawVarint(UInt64(field) << 3 | UInt64(wire.rawValue))
    }

    mutating func varint(field: Int, _ value: UInt64) {
        key(field, .varint)
        rawVarint(value)
    }

    mutating func fixed64(field: Int, _ value: UInt64) {
        key(field, .fixed64)
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    mutating func fixed32(field: Int, _ value: UInt32) {
        key(field, .fixed32)
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }

    mutating func bytes(field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        rawVarint(UInt64(value.count))
        bytes += value
    }
}

/// Thrown for bytes that are not a well-formed protobuf message.
struct ProtoDecodingError: Error, CustomStringConvertible {
    var description: String
}

/// A bare protobuf decoder over a byte slice.
struct ProtoReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    init(_ bytes: [UInt8]) { self.init(bytes[...]) }

    /// The next field number and wire type, or nil at the end of the message.
    mutating func nextKey() throws -> (Int, WireType)? {
        guard position < bytes.endIndex else { return nil }
        let key = try varint()
        guard let wire = WireType(rawValue: UInt8(key & 7)), key >> 3 > 0 else {
            throw ProtoDecodingError(description: "bad field key \(key) at byte \(position - bytes.startIndex)")
        }
        return (Int(key >> 3), wire)
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex, shift < 64 else {
                throw ProtoDecodingError(description: "truncated or overlong varint")
            }
            let b = bytes[position]
            position += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    mutating func fixed64() throws -> UInt64 {
        try littleEndian(8)
    }

    mutating func fixed32() throws -> UInt32 {
        UInt32(try littleEndian(4))
    }

    private mutating func littleEndian(_ count: Int) throws -> UInt64 {
        guard bytes.endIndex - position >= count else {
            throw ProtoDecodingError(description: "truncated \(count)-byte field")
        }
        var v: UInt64 = 0
        for i in 0..<count { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += count
        return v
    }

    mutating func lengthDelimited() throws -> ArraySlice<UInt8> {
        let length = try varint()
        guard length <= UInt64(bytes.endIndex - position) else {
            throw ProtoDecodingError(description: "length \(length) runs past the end of the message")
        }
        let slice = bytes[position..<(position + Int(length))]
        position += Int(length)
        return slice
    }

    mutating func skip(_ wire: WireType) throws {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup, .endGroup:
            throw ProtoDecodingError(description: "groups are not supported")
        }
    }
}
