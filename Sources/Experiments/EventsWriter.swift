import Foundation

/// Writes a TensorBoard event file, `events.out.tfevents.<unix seconds>.<host>`: TFRecord-framed
/// `Event` protobufs, the first announcing the format version, then one per scalar. TensorBoard's
/// scalar dashboard and its EventAccumulator read it while the run is still going.
final class EventsWriter {
    let url: URL
    private let handle: FileHandle

    /// Creates the event file in `folder` (a new name if one of the same name is already there).
    init(folder: URL, date: Date = Date(), host: String = ProcessInfo.processInfo.hostName) throws {
        let seconds = Int(date.timeIntervalSince1970)
        let safeHost = String(host.map { $0 == "/" || $0.isWhitespace ? "_" : $0 })
        let base = "events.out.tfevents.\(seconds).\(safeHost.isEmpty ? "localhost" : safeHost)"
        var candidate = folder.appendingPathComponent(base)
        var n = 1
        let fm = FileManager.default
        while fm.fileExists(atPath: candidate.path) {
            candidate = folder.appendingPathComponent("\(base).\(n)")
            n += 1
        }
        guard fm.createFile(atPath: candidate.path, contents: nil) else {
            throw CLIError("cannot create the event file \(candidate.path); check that the folder is writable")
        }
        url = candidate
        handle = try FileHandle(forWritingTo: candidate)
        try write(EventProto(wallTime: date.timeIntervalSince1970, step: 0, fileVersion: "brain.Event:2"))
    }

    deinit { try? handle.close() }

    /// Records one scalar (TensorBoard's `simple_value`) under `tag`, e.g. `train/loss`.
    func scalar(tag: String, value: Double, step: Int, date: Date = Date()) throws {
        try write(EventProto(wallTime: date.timeIntervalSince1970, step: Int64(step),
                             values: [.init(tag: tag, simpleValue: Float(value))]))
    }

    func write(_ event: EventProto) throws {
        try handle.write(contentsOf: Self.record(event.serialized()))
    }

    func flush() {
        try? handle.synchronize()
    }

    /// TFRecord framing: length (uint64 LE), masked CRC32C of those 8 bytes, the data, masked
    /// CRC32C of the data.
    static func record(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let length = littleEndian(UInt64(data.count), bytes: 8)
        out += length
        out += littleEndian(UInt64(CRC32C.maskedChecksum(length)), bytes: 4)
        out += data
        out += littleEndian(UInt64(CRC32C.maskedChecksum(data)), bytes: 4)
        return out
    }

    static func littleEndian(_ value: UInt64, bytes count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
}
