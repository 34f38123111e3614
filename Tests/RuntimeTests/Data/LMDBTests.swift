import Foundation
import Testing
@testable import Runtime

@Suite struct LMDBTests {
    @Test func writesAndReadsBackInKeyOrder() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let path = dir.appendingPathComponent("db").path
        let writer = try LMDBWriter(path: path, transactionSize: 3)
        // Put out of order: the cursor must return key order.
        for i in [4, 0, 3, 1, 2] {
            try writer.put(key: "key\(i)", value: Data([UInt8(i), UInt8(i * 2)]))
        }
        try writer.close()
        #expect(writer.committed == 5)

        let reader = try LMDBReader(path: path)
        #expect(try reader.count() == 5)
        let cursor = try reader.makeCursor()
        for i in 0..<5 {
            #expect(cursor.position == i)
            let entry = try cursor.next()
            #expect(entry.keyText == "key\(i)")
            #expect(entry.value == Data([UInt8(i), UInt8(i * 2)]))
        }
        // After the last record the cursor starts again at the first.
        #expect(cursor.position == 0)
        #expect(try cursor.next().keyText == "key0")
        #expect(try cursor.next().keyText == "key1")
    }

    @Test func growsTheMapWhenFull() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let path = dir.appendingPathComponent("db").path
        let initial = 64 << 10
        let writer = try LMDBWriter(path: path, initialMapSize: initial, transactionSize: 500)
        let count = 1500
        for i in 0..<count {
            try writer.put(key: Caffe_Datum.key(index: i, name: "x"), value: Data(repeating: UInt8(i % 251), count: 1000))
        }
        try writer.close()
        // 1.5 MB of values cannot fit 64 KB: the writer must have doubled the map several times.
        #expect(writer.mapSize >= 1 << 20)
        #expect(writer.committed == count)

        let reader = try LMDBReader(path: path)
        #expect(try reader.count() == count)
        let cursor = try reader.makeCursor()
        for i in 0..<count {
            let entry = try cursor.next()
            #expect(entry.keyText == Caffe_Datum.key(index: i, name: "x"))
            #expect(entry.value.count == 1000 && entry.value.first == UInt8(i % 251))
        }
    }

    @Test func appendsKeysThatArriveInOrder() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let path = dir.appendingPathComponent("db").path
        let writer = try LMDBWriter(path: path, initialMapSize: 32 << 10, transactionSize: 64, keysInOrder: true)
        for i in 0..<300 { try writer.put(key: Caffe_Datum.key(index: i, name: "\(i)"), value: Data(repeating: 1, count: 500)) }
        try writer.close()
        let cursor = try LMDBReader(path: path).makeCursor()
        try cursor.seek(toPosition: 299)
        #expect(try cursor.next().keyText == "00000299_299")

        let disordered = try LMDBWriter(path: dir.appendingPathComponent("db2").path, keysInOrder: true)
        try disordered.put(key: "b", value: Data([1]))
        try disordered.put(key: "a", value: Data([2]))
        #expect(throws: DataError.self) { try disordered.close() }
    }

    @Test func seeksToAPositionModuloTheCount() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let path = dir.appendingPathComponent("db").path
        let writer = try LMDBWriter(path: path)
        for i in 0..<6 { try writer.put(key: "k\(i)", value: Data([UInt8(i)])) }
        try writer.close()
        let cursor = try LMDBReader(path: path).makeCursor()
        try cursor.seek(toPosition: 4)
        #expect(try cursor.next().value == Data([4]))
        try cursor.seek(toPosition: 2)
        #expect(try cursor.next().value == Data([2]))
        try cursor.seek(toPosition: 13)
        #expect(cursor.position == 1)
        #expect(try cursor.next().value == Data([1]))
    }

    @Test func sharesOneEnvironmentBetweenReadersOfTheSameDatabase() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let path = dir.appendingPathComponent("db").path
        let writer = try LMDBWriter(path: path)
        for i in 0..<3 { try writer.put(key: "k\(i)", value: Data([UInt8(i)])) }
        try writer.close()
        var a: LMDBReader? = try LMDBReader(path: path)
        let b = try LMDBReader(path: dir.appendingPathComponent("./db").path)
        #expect(a?.environment === b.environment)
        let cursorB = try b.makeCursor()
        _ = try a?.makeCursor().next()
        a = nil
        // The other reader keeps working after the first one is gone.
        #expect(try cursorB.next().value == Data([0]))
        #expect(try b.count() == 3)
    }

    @Test func missingAndEmptyDatabasesAreNamed() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let missing = dir.appendingPathComponent("nothing").path
        #expect(throws: DataError.databaseMissing(path: missing, hint: nil)) { try LMDBReader(path: missing) }

        let empty = dir.appendingPathComponent("empty").path
        try LMDBWriter(path: empty).close()
        let reader = try LMDBReader(path: empty)
        #expect(try reader.count() == 0)
        #expect(throws: DataError.databaseEmpty(path: empty)) { try reader.makeCursor() }
    }

    @Test func lmdbFailuresCarryThePathAndLMDBsMessage() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let path = dir.appendingPathComponent("db").path
        let writer = try LMDBWriter(path: path)
        // LMDB refuses empty keys (MDB_BAD_VALSIZE).
        try writer.put(key: "", value: Data([1]))
        do {
            try writer.close()
            Issue.record("an empty key was accepted")
        } catch let error as DataError {
            guard case let .lmdb(errorPath, _, code, message) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(errorPath == path)
            #expect(code != 0)
            #expect(!message.isEmpty)
            #expect(error.description.contains(path))
        }
    }
}
