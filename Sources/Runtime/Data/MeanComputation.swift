import Dispatch
import Foundation

/// Where a mean computation is.
public struct MeanProgress: Sendable {
    public var processed: Int
    public var total: Int
    public var seconds: Double

    public var recordsPerSecond: Double { seconds > 0 ? Double(processed) / seconds : 0 }
    public var etaSeconds: Double? {
        guard processed > 0, recordsPerSecond > 0 else { return nil }
        return Double(total - processed) / recordsPerSecond
    }
}

extension MeanImage {
    /// The mean of each channel over all pixels (Caffe's compute_image_mean prints these as
    /// `mean_value channel [c]`; for colour records channel 0 is blue).
    public var channelMeans: [Double] {
        let plane = height * width
        guard plane > 0, values.count == channels * plane else { return [] }
        return (0..<channels).map { c in
            var sum = 0.0
            for i in 0..<plane { sum += Double(values[c * plane + i]) }
            return sum / Double(plane)
        }
    }
}

extension MeanFile {
    /// Caffe's compute_image_mean, streaming and on all cores: reads the database a chunk of
    /// records at a time, decodes them in parallel (encoded records too), and sums each pixel
    /// position exactly (byte sums in Double are exact), so the result does not depend on the
    /// number of threads. Every record must have the first record's shape.
    ///
    /// With `replicas` (processes started together by mpirun, each with the database), the
    /// chunks are dealt between them and their sums added up: the same mean, as the sums are
    /// exact.
    public static func compute(database path: String, threads: Int = Parallel.threads,
                               replicas: ReplicaGroup? = nil,
                               progress: @escaping (MeanProgress) -> Void) throws -> MeanImage {
        let start = Date()
        let reader = try RecordDatabases.open(path: path)
        let total = try reader.count()
        guard total > 0 else { throw DataError.databaseEmpty(path: path) }
        let cursor = try reader.makeCursor()
        let workers = max(1, threads)
        // Replica 0's chunk size, so that the replicas deal the same chunks.
        var chunk = max(64, workers * 32)
        if let replicas { chunk = Int(try replicas.sum([replicas.rank == 0 ? Double(chunk) : 0])[0]) }

        var sum: [Double] = []
        var shape: [Int] = []
        // Every replica checks its records against the database's first.
        if replicas != nil {
            let first = try cursor.next()
            do {
                shape = try Caffe_Datum(record: first.value).decoded().shape
            } catch let error as DataError {
                throw error.located(database: path, key: first.keyText)
            } catch {
                throw DataError.badRecord(database: path, key: first.keyText, problem: ProtobufDecodingProblem.record(error))
            }
            sum = [Double](repeating: 0, count: shape.reduce(1, *))
            try cursor.rewind()
        }
        var done = 0
        var chunkIndex = 0
        while done < total {
            let count = min(chunk, total - done)
            defer { chunkIndex += 1 }
            if let replicas, chunkIndex % replicas.size != replicas.rank {
                for _ in 0..<count { try cursor.advance() }
                done += count
                continue
            }
            var entries: [DatabaseRecord] = []
            entries.reserveCapacity(count)
            for _ in 0..<count { entries.append(try cursor.next()) }

            // Decode in parallel, each record to floats (exact for bytes).
            var records = [[Float]](repeating: [], count: count)
            var shapes = [[Int]](repeating: [], count: count)
            var errors = [DataError?](repeating: nil, count: count)
            records.withUnsafeMutableBufferPointer { recs in
                shapes.withUnsafeMutableBufferPointer { shps in
                    errors.withUnsafeMutableBufferPointer { errs in
                        let (r, s, e) = (recs.baseAddress!, shps.baseAddress!, errs.baseAddress!)
                        let work = { (worker: Int) in
                            for i in stride(from: worker, to: count, by: workers) {
                                do {
                                    let datum = try Caffe_Datum(record: entries[i].value).decoded()
                                    r[i] = try datum.pixels()
                                    s[i] = datum.shape
                                } catch let error as DataError {
                                    e[i] = error.located(database: path, key: entries[i].keyText)
                                } catch {
                                    e[i] = .badRecord(database: path, key: entries[i].keyText, problem: ProtobufDecodingProblem.record(error))
                                }
                            }
                        }
                        if workers <= 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: min(workers, count), execute: work) }
                    }
                }
            }
            if let error = errors.lazy.compactMap({ $0 }).first { throw error }
            if shape.isEmpty {
                shape = shapes[0]
                sum = [Double](repeating: 0, count: records[0].count)
            }
            for i in 0..<count where shapes[i] != shape {
                throw DataError.badRecord(database: path, key: entries[i].keyText,
                                          problem: "is \(shapeText(shapes[i])) but the first record is \(shapeText(shape)); a mean needs one size (convert with --resize)")
            }

            // Sum by pixel position: each thread owns a slice of the positions.
            let n = sum.count
            sum.withUnsafeMutableBufferPointer { acc in
                let base = acc.baseAddress!
                Parallel.forEachChunk(n, grain: max(4096, n / max(1, workers))) { positions in
                    for record in records {
                        record.withUnsafeBufferPointer { values in
                            for p in positions { base[p] += Double(values[p]) }
                        }
                    }
                }
            }
            done += count
            if replicas?.rank ?? 0 == 0 {
                progress(MeanProgress(processed: done, total: total, seconds: Date().timeIntervalSince(start)))
            }
        }
        if let replicas { sum = try replicas.sum(sum) }
        return MeanImage(channels: shape[0], height: shape[1], width: shape[2],
                         values: sum.map { Float($0 / Double(total)) })
    }
}
