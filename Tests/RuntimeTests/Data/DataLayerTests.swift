import Foundation
import NetDSL
import Testing
@testable import Runtime

@Suite struct DataLayerTests {
    @Test func servesBatchesInKeyOrderAndWrapsAround() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 10, shape: [2, 3, 3])
        let (layer, tops) = try DataFixtures.dataLayer(db.path, batch: 4)
        #expect(layer.recordCount == 10)
        #expect(layer.recordShape == [2, 3, 3])
        #expect(tops[0].shape == [4, 2, 3, 3])
        #expect(tops[1].shape == [4])

        let batches = try DataFixtures.batches(layer, tops, 3)
        #expect(layer.batchesServed == 3)
        // Records 0-3, 4-7, then 8, 9 and back to 0, 1.
        let records = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]]
        for (b, (data, labels)) in batches.enumerated() {
            #expect(labels == records[b].map { Float($0 % 3) })
            for (i, r) in records[b].enumerated() {
                let expected: [Float] = (0..<18).map { Float(DataFixtures.pixel(record: r, position: $0)) }
                #expect(Array(data[(i * 18)..<((i + 1) * 18)]) == expected)
            }
        }
    }

    @Test func appliesTheTransformation() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 3, shape: [1, 4, 4])
        var t = TransformParams()
        t.cropSize = 2
        t.scale = 0.5
        t.meanValue = [10]
        let (layer, tops) = try DataFixtures.dataLayer(db.path, batch: 3, transform: t, phase: .test)
        #expect(tops[0].shape == [3, 1, 2, 2])
        try layer.forward(bottoms: [], tops: tops)
        // Centre crop of 4x4 at offset 1: positions 5, 6, 9, 10.
        for r in 0..<3 {
            let expected: [Float] = [5, 6, 9, 10].map { (Float(DataFixtures.pixel(record: r, position: $0)) - 10) * 0.5 }
            #expect(Array(tops[0].values[(r * 4)..<(r * 4 + 4)]) == expected)
        }
    }

    @Test func sameSeedSameBatchesWhateverTheTiming() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 11, shape: [1, 6, 6])
        var t = TransformParams()
        t.cropSize = 4
        t.mirror = true
        let (a, aTops) = try DataFixtures.dataLayer(db.path, batch: 5, transform: t, seed: 42)
        let (b, bTops) = try DataFixtures.dataLayer(db.path, batch: 5, transform: t, seed: 42)
        // Let one layer's thread run ahead before reading.
        Thread.sleep(forTimeInterval: 0.05)
        let first = try DataFixtures.batches(a, aTops, 6)
        let second = try DataFixtures.batches(b, bTops, 6)
        #expect(first.map(\.0) == second.map(\.0))
        #expect(first.map(\.1) == second.map(\.1))

        let (c, cTops) = try DataFixtures.dataLayer(db.path, batch: 5, transform: t, seed: 43)
        let other = try DataFixtures.batches(c, cTops, 6)
        #expect(other.map(\.0) != first.map(\.0))
        #expect(other.map(\.1) == first.map(\.1))
    }

    @Test func seekResumesTheExactSequence() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 7, shape: [1, 5, 5])
        var t = TransformParams()
        t.cropSize = 3
        t.mirror = true
        let (whole, wholeTops) = try DataFixtures.dataLayer(db.path, batch: 3, transform: t, seed: 9)
        let reference = try DataFixtures.batches(whole, wholeTops, 8)

        let (resumed, tops) = try DataFixtures.dataLayer(db.path, batch: 3, transform: t, seed: 9)
        _ = try DataFixtures.batches(resumed, tops, 2)
        resumed.seek(toBatch: 5)
        #expect(resumed.batchesServed == 5)
        let tail = try DataFixtures.batches(resumed, tops, 3)
        #expect(tail.map(\.0) == reference[5..<8].map(\.0))
        #expect(tail.map(\.1) == reference[5..<8].map(\.1))
        resumed.seek(toBatch: 1)
        let back = try DataFixtures.batches(resumed, tops, 1)
        #expect(back[0].0 == reference[1].0 && back[0].1 == reference[1].1)

        // A seek before setUp (a snapshot restored first) starts the thread there.
        let (spec, params) = DataFixtures.dataSpec(db.path, batch: 3, transform: t)
        let early = try DataLayer(spec: spec, params: params, phase: .train, seed: 9)
        early.seek(toBatch: 6)
        let earlyTops = [Tensor(), Tensor()]
        try early.setUp(bottoms: [], tops: earlyTops, store: ParameterStore())
        let six = try DataFixtures.batches(early, earlyTops, 2)
        #expect(six.map(\.0) == reference[6..<8].map(\.0))
        #expect(early.batchesServed == 8)

        // A damaged snapshot's negative batch is reported by forward, and a good seek clears it.
        early.seek(toBatch: -3)
        #expect(throws: LayerError.self) { try early.forward(bottoms: [], tops: earlyTops) }
        early.seek(toBatch: 2)
        let two = try DataFixtures.batches(early, earlyTops, 1)
        #expect(two[0].0 == reference[2].0 && two[0].1 == reference[2].1)
    }

    @Test func aMissingDatabaseNamesThePathAndHowToMakeIt() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let path = dir.appendingPathComponent("data/fashion-mnist/train_lmdb").path
        let (spec, params) = DataFixtures.dataSpec(path, batch: 2)
        let layer = try DataLayer(spec: spec, params: params, phase: .train, seed: 1)
        #expect { try layer.setUp(bottoms: [], tops: [Tensor(), Tensor()], store: ParameterStore()) } throws: { error in
            let text = "\(error)"
            return text.contains(path) && text.contains("experiments prepare fashion-mnist")
        }

        let other = dir.appendingPathComponent("elsewhere_lmdb").path
        let (spec2, params2) = DataFixtures.dataSpec(other, batch: 2)
        let layer2 = try DataLayer(spec: spec2, params: params2, phase: .test, seed: 1)
        #expect { try layer2.setUp(bottoms: [], tops: [Tensor(), Tensor()], store: ParameterStore()) } throws: { error in
            let text = "\(error)"
            return text.contains(other) && !text.contains("experiments prepare")
        }
    }

    @Test func badRecordsSurfaceFromForwardWithTheirKey() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let wrongShape = Caffe_Datum(channels: 1, height: 2, width: 2, bytes: [1, 2, 3, 4], label: 0)
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 6, shape: [1, 3, 3],
                                           override: [4: wrongShape])
        let (layer, tops) = try DataFixtures.dataLayer(db.path, batch: 2)
        _ = try DataFixtures.batches(layer, tops, 2)
        for _ in 0..<2 {
            // The error repeats: the batch cannot be served.
            #expect { try layer.forward(bottoms: [], tops: tops) } throws: { error in
                guard case let .badRecord(database, key, problem)? = error as? DataError else { return false }
                return database == db.path && key == "00000004_4" && problem.contains("1x2x2")
            }
        }
        #expect(layer.batchesServed == 2)

        let negative = Caffe_Datum(channels: 1, height: 3, width: 3, bytes: Array(repeating: 0, count: 9), label: -1)
        let db2 = try DataFixtures.database(at: dir.appendingPathComponent("db2"), count: 3, shape: [1, 3, 3],
                                            override: [1: negative])
        let (layer2, tops2) = try DataFixtures.dataLayer(db2.path, batch: 3)
        #expect { try layer2.forward(bottoms: [], tops: tops2) } throws: { error in
            "\(error)".contains("00000001_1") && "\(error)".contains("label -1") && "\(error)".contains(db2.path)
        }
    }

    @Test func settingsAreCheckedAtSetUp() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 2, shape: [1, 3, 3])
        var t = TransformParams()
        t.cropSize = 4
        #expect(throws: DataError.self) { try DataFixtures.dataLayer(db.path, batch: 2, transform: t) }
        #expect(throws: LayerError.self) { try DataFixtures.dataLayer(db.path, batch: 0) }
    }
}

/// A record that cannot be read, in the middle of a database: the run stops naming its key,
/// or, with `on_error: skip`, another record of the batch takes its place and the key is reported.
@Suite struct RecordErrorPolicyTests {
    static func corruptDatabase(_ dir: URL) throws -> URL {
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 10, labels: 100)
        let writer = try LMDBWriter(path: db.path)
        try writer.put(key: Caffe_Datum.key(index: 5, name: "5"), value: Data([0x0a, 0xff, 0xff, 0x01]))
        try writer.close()
        return db
    }

    @Test func stopNamesTheRecord() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try Self.corruptDatabase(dir)
        let (layer, tops) = try DataFixtures.dataLayer(db.path, batch: 4)
        try layer.forward(bottoms: [], tops: tops)
        #expect {
            try layer.forward(bottoms: [], tops: tops)
        } throws: { error in
            "\(error)".contains("'00000005_5'")
        }
    }

    @Test func skipFillsThePlaceFromTheSameBatchAndReportsTheKey() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try Self.corruptDatabase(dir)
        var (spec, params) = DataFixtures.dataSpec(db.path, batch: 4)
        params.recordErrors = .skip
        spec.kind = .data(params)
        let layer = try DataLayer(spec: spec, params: params, phase: .train, seed: 7)
        let tops = [Tensor(), Tensor()]
        try layer.setUp(bottoms: [], tops: tops, store: ParameterStore())
        let batches = try DataFixtures.batches(layer, tops, 3)
        #expect(batches[0].1 == [0, 1, 2, 3])
        // Record 5 is unreadable: its place takes record 4's (the nearest of its batch).
        #expect(batches[1].1 == [4, 4, 6, 7])
        #expect(Array(batches[1].0[16..<32]) == Array(batches[1].0[0..<16]))
        #expect(batches[2].1 == [8, 9, 0, 1])
        let skipped = layer.takeSkippedRecords()
        #expect(skipped.count == 1)
        #expect(skipped.first?.description.contains("'00000005_5'") == true)
        #expect(layer.takeSkippedRecords().isEmpty)
    }

    @Test func theSettingIsKeyedByCaffesNames() throws {
        var net = NetSpec(name: "n", layers: [DataFixtures.dataSpec("db", batch: 2).0])
        net.layers[0].phase = .train
        var plan = SolverPlan(baseLR: 0.1, iterations: 1)
        try Overrides.apply("data.train.on_error=skip", net: &net, solver: &plan)
        guard case .data(let params) = net.layers[0].kind else { Issue.record("no data layer"); return }
        #expect(params.recordErrors == .skip)
        #expect(throws: (any Error).self) { try Overrides.apply("data.train.on_error=ignore", net: &net, solver: &plan) }
    }
}

/// A batch size no machine can hold is an error naming the layer, not a failed allocation.
@Suite struct DataLayerSizeTests {
    @Test func aBatchTooLargeToHoldIsRefused() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 3)
        #expect {
            _ = try DataFixtures.dataLayer(db.path, batch: 99_999_999_999_999)
        } throws: { error in
            "\(error)".contains("cannot be held") && "\(error)".contains("lower data.train.batch_size")
        }
    }
}
