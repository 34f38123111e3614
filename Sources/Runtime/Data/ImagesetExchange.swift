import Foundation

/// The replicas' converted images for one chunk, brought together in list order: each
/// replica's records and problems are serialised, exchanged, and dealt back into place.
enum ImagesetExchange {
    /// `mine` holds this replica's results for the chunk `range` (entries `lowerBound + rank`,
    /// `+ size`, ...); the result holds every entry's, in list order.
    static func merge(_ mine: [Result<ImagesetConverter.Record, ImagesetProblem>], range: Range<Int>,
                      across replicas: ReplicaGroup) throws -> [Result<ImagesetConverter.Record, ImagesetProblem>] {
        let all = try replicas.gather(encode(mine)).enumerated().map { rank, bytes in
            do {
                return try decode(bytes)
            } catch {
                throw ReplicaError("the images replica \(rank) converted did not read back (\(error)); are all replicas the same build of Crema?")
            }
        }
        var merged: [Result<ImagesetConverter.Record, ImagesetProblem>] = []
        merged.reserveCapacity(range.count)
        for offset in 0..<range.count {
            let rank = offset % replicas.size, place = offset / replicas.size
            guard rank < all.count, place < all[rank].count else {
                throw ReplicaError("replica \(rank) converted \(all.count > rank ? all[rank].count : 0) images of the chunk at list entry \(range.lowerBound), fewer than its share; are all replicas the same build of Crema?")
            }
            merged.append(all[rank][place])
        }
        return merged
    }

    static func encode(_ results: [Result<ImagesetConverter.Record, ImagesetProblem>]) -> [UInt8] {
        var out = ByteWriter()
        out.integer(results.count)
        for result in results {
            switch result {
            case .success(let record):
                out.bytes.append(1)
                out.text(record.key)
                out.data([UInt8](record.value))
                out.integer(record.shape.count)
                record.shape.forEach { out.integer($0) }
                out.integer(record.line)
                out.text(record.path)
            case .failure(let problem):
                out.bytes.append(0)
                out.integer(problem.line)
                out.text(problem.path ?? "")
                out.bytes.append(problem.path == nil ? 0 : 1)
                out.text(problem.kind.rawValue)
                out.text(problem.message)
            }
        }
        return out.bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> [Result<ImagesetConverter.Record, ImagesetProblem>] {
        var input = ByteReader(bytes: bytes)
        let count = try input.integer()
        var results: [Result<ImagesetConverter.Record, ImagesetProblem>] = []
        for _ in 0..<count {
            if try input.byte() == 1 {
                let key = try input.text()
                let value = Data(try input.data())
                let axes = try input.integer()
                guard axes <= 8 else { throw ReplicaError("a record of \(axes) axes") }
                let shape = try (0..<axes).map { _ in try input.integer() }
                results.append(.success(.init(key: key, value: value, shape: shape, line: try input.integer(), path: try input.text())))
            } else {
                let line = try input.integer()
                let path = try input.text()
                let hasPath = try input.byte() == 1
                let kindName = try input.text()
                guard let kind = ImagesetProblem.Kind(rawValue: kindName) else { throw ReplicaError("unknown problem kind '\(kindName)'") }
                results.append(.failure(ImagesetProblem(line: line, path: hasPath ? path : nil, kind: kind, message: try input.text())))
            }
        }
        return results
    }
}

/// Little-endian integers and length-prefixed bytes.
private struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func integer(_ value: Int) {
        withUnsafeBytes(of: Int64(value).littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func data(_ value: [UInt8]) {
        integer(value.count)
        bytes.append(contentsOf: value)
    }

    mutating func text(_ value: String) { data(Array(value.utf8)) }
}

private struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw ReplicaError("the message ends early") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func integer() throws -> Int {
        guard bytes.count - offset >= 8 else { throw ReplicaError("the message ends early") }
        var value: Int64 = 0
        for i in (0..<8).reversed() { value = value << 8 | Int64(bytes[offset + i]) }
        offset += 8
        guard value >= 0 else { throw ReplicaError("a length or number \(value) is negative") }
        return Int(value)
    }

    mutating func data() throws -> [UInt8] {
        let count = try integer()
        guard bytes.count - offset >= count else { throw ReplicaError("the message ends early") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func text() throws -> String { String(decoding: try data(), as: UTF8.self) }
}
