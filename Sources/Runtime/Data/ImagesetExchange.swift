import Foundation

/// The replicas' converted images for one chunk, brought to replica 0 in list order: each
/// replica's records and problems are serialised, gathered, and dealt back into place.
enum ImagesetExchange {
    /// One entry's outcome as it travels.
    private enum Outcome: Codable {
        case record(ImagesetConverter.Record)
        case problem(ImagesetProblem)
    }

    /// `mine` holds this replica's results for the chunk `range` (entries `lowerBound + rank`,
    /// `+ size`, ...). Replica 0 gets every entry's, in list order; the others get nothing.
    static func merge(_ mine: [Result<ImagesetConverter.Record, ImagesetProblem>], range: Range<Int>,
                      across replicas: ReplicaGroup) throws -> [Result<ImagesetConverter.Record, ImagesetProblem>] {
        let outcomes = mine.map { result -> Outcome in
            switch result {
            case .success(let record): .record(record)
            case .failure(let problem): .problem(problem)
            }
        }
        let encoder = PropertyListEncoder()
        encoder.outputFormat = .binary
        let gathered = try replicas.gather([UInt8](try encoder.encode(outcomes)))
        guard replicas.rank == 0 else { return [] }
        let all = try gathered.enumerated().map { rank, bytes in
            do {
                return try PropertyListDecoder().decode([Outcome].self, from: Data(bytes))
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
            switch all[rank][place] {
            case .record(let record): merged.append(.success(record))
            case .problem(let problem): merged.append(.failure(problem))
            }
        }
        return merged
    }
}
