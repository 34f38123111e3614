import Foundation

/// Reads a TensorBoard event file: splits the TFRecord frames, checks both checksums of each,
/// and decodes the Events' scalar values.
enum EventsReader {
    /// One scalar as TensorBoard plots it.
    struct Scalar: Equatable {
        var step: Int64
        var wallTime: Double
        var value: Float
    }

    /// Every Event in the file, in order.
    static func events(in url: URL) throws -> [EventProto] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CLIError("cannot read the event file \(url.path): \(UserMessage.describe(error))")
        }
        var events: [EventProto] = []
        for (offset, record) in try records(in: [UInt8](data), name: url.path) {
            do {
                events.append(try EventProto(serialized: record))
            } catch let error as ProtoDecodingError {
                throw CLIError("\(url.path): the record at byte \(offset) is not an Event: \(UserMessage.describe(error))")
            }
        }
        return events
    }

    /// The scalars (`simple_value`s) in the file, by tag.
    static func scalars(in url: URL) throws -> [String: [Scalar]] {
        var byTag: [String: [Scalar]] = [:]
        for event in try events(in: url) {
            for value in event.values {
                guard let v = value.simpleValue else { continue }
                byTag[value.tag, default: []].append(Scalar(step: event.step, wallTime: event.wallTime, value: v))
            }
        }
        return byTag
    }

    /// The payloads of the TFRecord frames in `bytes`, with the byte offset each frame starts at.
    /// A frame cut short or a checksum that does not match is an error naming its offset.
    static func records(in bytes: [UInt8], name: String = "event file") throws -> [(offset: Int, data: [UInt8])] {
        var result: [(Int, [UInt8])] = []
        var p = 0
        while p < bytes.count {
            guard bytes.count - p >= 12 else {
                throw CLIError("\(name): truncated record header at byte \(p) (\(bytes.count - p) bytes left, 12 needed)")
            }
            let lengthBytes = bytes[p..<(p + 8)]
            let length = readLE(bytes, p, 8)
            let lengthCRC = UInt32(readLE(bytes, p + 8, 4))
            guard CRC32C.maskedChecksum(lengthBytes) == lengthCRC else {
                throw CLIError("\(name): the length checksum of the record at byte \(p) does not match; the file is corrupt")
            }
            let start = p + 12
            guard length <= UInt64(bytes.count - start), bytes.count - start - Int(length) >= 4 else {
                throw CLIError("\(name): the record at byte \(p) is truncated (length \(length), \(bytes.count - start) bytes left)")
            }
            let end = start + Int(length)
            let data = Array(bytes[start..<end])
            let dataCRC = UInt32(readLE(bytes, end, 4))
            guard CRC32C.maskedChecksum(data) == dataCRC else {
                throw CLIError("\(name): the data checksum of the record at byte \(p) does not match; the file is corrupt")
            }
            result.append((p, data))
            p = end + 4
        }
        return result
    }

    private static func readLE(_ bytes: [UInt8], _ at: Int, _ count: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<count { v |= UInt64(bytes[at + i]) << (8 * UInt64(i)) }
        return v
    }
}
