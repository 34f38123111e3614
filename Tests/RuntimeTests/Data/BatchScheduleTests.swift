import Foundation
import NetDSL
import Testing
@testable import Runtime

/// Replicas' shares of a database: together exactly what one process reads.
@Suite struct BatchScheduleTests {
    /// The records (by label: each record is labelled with its index) of the next `count` batches.
    static func records(_ layer: DataLayer, _ tops: [Tensor], _ count: Int) throws -> [[Int]] {
        try DataFixtures.batches(layer, tops, count).map { $0.1.map { Int($0) } }
    }

    @Test func interleavedSharesMakeUpTheWholeBatchRecordByRecord() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 10, labels: 100)
        let (whole, wholeTops) = try DataFixtures.dataLayer(db.path, batch: 6)
        let expected = try Self.records(whole, wholeTops, 4)
        var shares: [[[Int]]] = []
        for rank in 0..<2 {
            let (layer, tops) = try DataFixtures.dataLayer(db.path, batch: 3)
            layer.follow(.interleaved(rank: rank, replicas: 2))
            shares.append(try Self.records(layer, tops, 4))
        }
        for batch in 0..<4 {
            // Rank r takes items r, r + 2, r + 4 of the whole batch, wrapping round the database.
            #expect(shares[0][batch] == stride(from: 0, to: 6, by: 2).map { expected[batch][$0] })
            #expect(shares[1][batch] == stride(from: 1, to: 6, by: 2).map { expected[batch][$0] })
        }
        #expect(expected[1] == [6, 7, 8, 9, 0, 1])
    }

    /// Five test batches dealt to two replicas: 3 and 2 a pass, the passes following on.
    @Test func dealtSharesMakeUpEachTestPassWhenTheReplicasDoNotDivideIt() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 7, labels: 100)
        let (whole, wholeTops) = try DataFixtures.dataLayer(db.path, batch: 2, phase: .test)
        let expected = try Self.records(whole, wholeTops, 10)
        #expect(BatchSchedule.share(rank: 0, replicas: 2, perPass: 5) == 3)
        #expect(BatchSchedule.share(rank: 1, replicas: 2, perPass: 5) == 2)
        #expect(BatchSchedule.share(rank: 5, replicas: 8, perPass: 5) == 0)
        let served = [[0, 2, 4, 5, 7, 9], [1, 3, 6, 8]]
        for rank in 0..<2 {
            let (layer, tops) = try DataFixtures.dataLayer(db.path, batch: 2, phase: .test)
            layer.follow(.dealt(rank: rank, replicas: 2, perPass: 5))
            let got = try Self.records(layer, tops, served[rank].count)
            #expect(got == served[rank].map { expected[$0] }, "rank \(rank)")
        }
    }

    /// A resume seeks a replica to its own batch count; the share continues where it left off.
    @Test func seekKeepsTheReplicasShare() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 9, labels: 100)
        let (a, aTops) = try DataFixtures.dataLayer(db.path, batch: 2)
        a.follow(.interleaved(rank: 1, replicas: 3))
        let straight = try Self.records(a, aTops, 5)
        let (b, bTops) = try DataFixtures.dataLayer(db.path, batch: 2)
        b.follow(.interleaved(rank: 1, replicas: 3))
        b.seek(toBatch: 3)
        #expect(try Self.records(b, bTops, 2) == Array(straight[3...]))
    }

    /// After whole test passes, replica 1 of an uneven deal stands at its own share of them.
    @Test func aResumedReplicaFindsItsPlaceInDealtPasses() {
        let lead = BatchSchedule.dealt(rank: 0, replicas: 2, perPass: 5), other = BatchSchedule.dealt(rank: 1, replicas: 2, perPass: 5)
        #expect(lead.batchesServed(matching: 12) == 12)
        #expect(other.batchesServed(matching: 12) == 8)
        #expect(BatchSchedule.interleaved(rank: 1, replicas: 2).batchesServed(matching: 7) == 7)
    }

    /// A batch number as large as a damaged snapshot may hold still names a record.
    @Test func hugeBatchNumbersStayInsideTheDatabase() {
        for schedule in [BatchSchedule.sequential, .interleaved(rank: 1, replicas: 3), .dealt(rank: 1, replicas: 3, perPass: 7)] {
            let record = schedule.record(batch: Int.max / 2, item: 5, batchSize: 1 << 20, count: 1_000_003)
            #expect((0..<1_000_003).contains(record), "\(schedule)")
        }
        #expect(BatchSchedule.sequential.record(batch: 3, item: 1, batchSize: 4, count: 10) == 3)
    }

    @Test func aReplicaOutsideTheGroupIsAnErrorAtForward() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 4)
        let (layer, tops) = try DataFixtures.dataLayer(db.path, batch: 2)
        layer.follow(.interleaved(rank: 2, replicas: 2))
        #expect(throws: LayerError.self) { try layer.forward(bottoms: [], tops: tops) }
    }
}
