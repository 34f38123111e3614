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
        guard replicas > 0, rank >= 0, rank < perPass else { return 0 }
        return (perPass - rank + replicas - 1) / replicas
    }

    /// The record (of `count`, counting through the database again and again) that holds item
    /// `item` of batch `batch`, the batch counted from 0 as this layer serves them. Computed
    /// modulo `count` throughout, so no batch number a snapshot holds can overflow it.
    func record(batch: Int, item: Int, batchSize: Int, count: Int) -> Int {
        guard count > 0, batch >= 0, item >= 0, batchSize >= 0 else { return 0 }
        let m = UInt64(count)
        func mod(_ a: Int) -> UInt64 { UInt64(a) % m }
        func times(_ a: UInt64, _ b: UInt64) -> UInt64 { m.dividingFullWidth(a.multipliedFullWidth(by: b)).remainder }
        func plus(_ a: UInt64, _ b: UInt64) -> UInt64 { (a % m + b % m) % m }
        switch self {
        case .sequential:
            return Int(plus(times(mod(batch), mod(batchSize)), mod(item)))
        case .interleaved(let rank, let replicas):
            // batch * replicas * batchSize + rank + replicas * item
            let first = times(times(mod(batch), mod(replicas)), mod(batchSize))
            return Int(plus(plus(first, mod(rank)), times(mod(replicas), mod(item))))
        case .dealt(let rank, let replicas, let perPass):
            // (pass * perPass + rank + within * replicas) * batchSize + item
            let mine = max(Self.share(rank: rank, replicas: replicas, perPass: perPass), 1)
            let pass = batch / mine, within = batch % mine
            let global = plus(plus(times(mod(pass), mod(perPass)), mod(rank)), times(mod(within), mod(replicas)))
            return Int(plus(times(global, mod(batchSize)), mod(item)))
        }
    }

    /// Where a replica of this schedule stands after the whole passes in which replica 0
    /// served `first` batches (a resume): the same count, but for test passes dealt unevenly,
    /// where each replica served its own share of each pass.
    public func batchesServed(matching first: Int) -> Int {
        guard case .dealt(let rank, let replicas, let perPass) = self else { return first }
        let lead = Self.share(rank: 0, replicas: replicas, perPass: perPass)
        guard lead > 0 else { return 0 }
        return first / lead * Self.share(rank: rank, replicas: replicas, perPass: perPass)
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
