/// Which database records a Data layer's batches hold: all of them in turn (one process), or
/// one replica's share when several processes train together, dealt so that the replicas'
/// batches together are exactly what one process would read.
public enum BatchSchedule: Equatable, Sendable {
    /// Batch `n` holds records `n * B ..< (n + 1) * B`.
    case sequential
    /// TRAIN: of the `replicas * B` records one process with the whole batch would read for
    /// batch `n`, this replica takes every `replicas`-th from its `rank` on (record by record,
    /// as Caffe's multi-GPU data layers deal them).
    case interleaved(rank: Int, replicas: Int)
    /// TEST: passes of `perPass` batches, whole batches dealt in turn: this replica serves the
    /// pass's batches `i` with `i % replicas == rank`. The replicas' passes together read the
    /// batches one process's pass reads, whether or not `replicas` divides `perPass`.
    case dealt(rank: Int, replicas: Int, perPass: Int)

    /// Batches this replica serves in each pass of a `.dealt` schedule (its share of `perPass`).
    public static func share(rank: Int, replicas: Int, perPass: Int) -> Int {
        guard rank < perPass else { return 0 }
        return (perPass - rank + replicas - 1) / replicas
    }

    /// The index, counting through the database again and again, of item `item` of batch
    /// `batch` (the batch counted from 0 as this layer serves them); records are this modulo
    /// the record count.
    func record(batch: Int, item: Int, batchSize: Int) -> Int {
        switch self {
        case .sequential:
            return batch * batchSize + item
        case .interleaved(let rank, let replicas):
            return batch * replicas * batchSize + rank + replicas * item
        case .dealt(let rank, let replicas, let perPass):
            let mine = max(Self.share(rank: rank, replicas: replicas, perPass: perPass), 1)
            let pass = batch / mine, within = batch % mine
            return (pass * perPass + rank + within * replicas) * batchSize + item
        }
    }

    /// Whether batch `n` starts where batch `n - 1` ended, so that a cursor reads on.
    var isContiguous: Bool { self == .sequential }

    /// Checks a schedule's numbers; a bad one is a programming error of the caller, reported.
    func problem() -> String? {
        switch self {
        case .sequential: return nil
        case .interleaved(let rank, let replicas), .dealt(let rank, let replicas, _):
            guard replicas > 0, rank >= 0, rank < replicas else {
                return "replica \(rank) of \(replicas) does not exist"
            }
            if case .dealt(_, _, let perPass) = self, perPass <= 0 {
                return "a test pass of \(perPass) batches cannot be dealt"
            }
            return nil
        }
    }
}
