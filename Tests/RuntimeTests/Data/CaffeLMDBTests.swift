import Foundation
import Testing
@testable import Runtime

/// Databases written by other tools (py-lmdb and Google's protobuf runtime, the way Caffe's
/// convert_imageset lays them out), read through Crema's reader and Data layer.
/// Fixtures/lmdb/make_caffe_lmdb.py made them.
@Suite struct CaffeLMDBTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/lmdb")

    /// A private copy, so the reader's lock file never lands in the source tree.
    static func copy(_ name: String) throws -> (folder: URL, database: URL) {
        let folder = try DataFixtures.folder(name)
        let database = folder.appendingPathComponent(name)
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent(name), to: database)
        return (folder, database)
    }

    @Test func rawRecordsKeysAndLabels() throws {
        let (folder, database) = try Self.copy("raw_lmdb")
        defer { DataFixtures.cleanUp(folder) }
        let reader = try LMDBReader(path: database.path)
        #expect(try reader.count() == 3)
        let cursor = try reader.makeCursor()
        var keys: [String] = []
        for _ in 0..<3 {
            let entry = try cursor.next()
            keys.append(entry.keyText)
            let datum = try Caffe_Datum(record: entry.value)
            #expect(datum.shape == [3, 5, 4])
        }
        #expect(keys == ["00000000_image0.png", "00000001_image1.png", "00000002_image2.png"])

        let (layer, tops) = try DataFixtures.dataLayer(database.path, batch: 3, phase: .test)
        #expect(tops[0].shape == [3, 3, 5, 4])
        try layer.forward(bottoms: [], tops: tops)
        #expect(tops[1].values == [0, 4, 9])
        let expected: [Float] = (0..<3).flatMap { r in (0..<60).map { Float(DataFixtures.pixel(record: r, position: $0)) } }
        #expect(tops[0].values == expected)
    }

    @Test func encodedRecordsDecodeAsPillowDoes() throws {
        let (folder, database) = try Self.copy("encoded_lmdb")
        defer { DataFixtures.cleanUp(folder) }
        let expected = try Data(contentsOf: Self.fixtures.appendingPathComponent("encoded_expected.bin"))
        #expect(expected.count == 2 * 3 * 5 * 6)
        let (layer, tops) = try DataFixtures.dataLayer(database.path, batch: 2, phase: .test)
        #expect(tops[0].shape == [2, 3, 5, 6])
        try layer.forward(bottoms: [], tops: tops)
        #expect(tops[1].values == [2, 7])
        #expect(tops[0].values == expected.map { Float($0) })
    }
}
