import Foundation
import Testing
@testable import Experiments
@testable import Runtime

extension ExperimentsSuite {
    /// LevelDB databases exchanged with Python's plyvel (LevelDB's own library, bundled in its
    /// wheel), in both directions.
    @Suite(.serialized) struct LevelDBInteropTests {
        static let venv = URL(fileURLWithPath: "/tmp/crema-plyvel-venv")

        static func python() throws -> URL? {
            try TestData.pythonVenv(venv, imports: "plyvel", packages: ["plyvel"], check: "LevelDB")
        }

        /// Key and value as hex, a pair per line: a plain-text way to hand records across.
        static func lines(_ records: [DatabaseRecord]) -> String {
            records.map { $0.key.map { String(format: "%02x", $0) }.joined() + " " + $0.value.map { String(format: "%02x", $0) }.joined() }
                .joined(separator: "\n") + "\n"
        }

        static func records(_ path: String) throws -> [DatabaseRecord] {
            let reader = try RecordDatabases.open(path: path)
            let cursor = try reader.makeCursor()
            return try (0..<reader.count()).map { _ in try cursor.next() }
        }

        @Test func cremaReadsWhatPlyvelWrites() throws {
            guard let python = try Self.python() else { return }
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            var records: [DatabaseRecord] = []
            let lmdb = try LMDBWriter(path: root.appendingPathComponent("lmdb").path)
            for r in 0..<37 {
                let datum = Caffe_Datum(channels: 3, height: 5, width: 4, bytes: (0..<60).map { UInt8((r * 13 + $0 * 7) % 256) }, label: r % 5)
                let record = DatabaseRecord(key: Data(Caffe_Datum.key(index: r, name: "img\(r).jpg").utf8), value: try datum.serializedData())
                records.append(record)
                try lmdb.put(key: record.key, value: record.value)
            }
            try lmdb.close()
            let pairs = root.appendingPathComponent("pairs.txt")
            try Self.lines(records).write(to: pairs, atomically: true, encoding: .utf8)
            let leveldb = root.appendingPathComponent("leveldb")
            let script = """
                import plyvel, sys
                db = plyvel.DB(sys.argv[2], create_if_missing=True, error_if_exists=True)
                with db.write_batch() as batch:
                    for line in open(sys.argv[1]):
                        key, value = line.split()
                        batch.put(bytes.fromhex(key), bytes.fromhex(value))
                db.close()
                """
            let (status, output) = try TestData.capture(python, ["-c", script, pairs.path, leveldb.path])
            try #require(status == 0, "plyvel failed: \(output)")
            #expect(try Self.records(leveldb.path) == records)
            // `mean` reads it as it reads the same records in an LMDB.
            let a = root.appendingPathComponent("a.binaryproto"), b = root.appendingPathComponent("b.binaryproto")
            for (database, mean) in [(leveldb, a), (root.appendingPathComponent("lmdb"), b)] {
                let (meanStatus, meanOutput) = try TestData.capture(binary, ["mean", database.path, mean.path, "--quiet"])
                try #require(meanStatus == 0, "\(meanOutput)")
            }
            #expect(try Data(contentsOf: a) == Data(contentsOf: b))
        }

        @Test func plyvelReadsWhatCremaWrites() throws {
            guard let python = try Self.python() else { return }
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let list = try ShardedPreparationTests.list(in: root)
            var databases: [URL] = []
            for backend in ["leveldb", "lmdb"] {
                let out = root.appendingPathComponent(backend)
                let (status, output) = try TestData.capture(binary, ["prepare", "imageset", ShardedPreparationTests.images.path, list.path, out.path,
                                                                     "--resize", "20x16", "--backend", backend, "--quiet"])
                try #require(status == 0, "\(output)")
                databases.append(out)
            }
            #expect(DatabaseFormat.of(path: databases[0].path) == .leveldb)
            let script = """
                import plyvel, sys
                db = plyvel.DB(sys.argv[1])
                for key, value in db:
                    print(key.hex(), value.hex())
                db.close()
                """
            let (status, output) = try TestData.capture(python, ["-c", script, databases[0].path])
            try #require(status == 0, "plyvel failed: \(output)")
            let expected = try Self.records(databases[1].path)
            #expect(expected.count == 150)
            #expect(output == Self.lines(expected), "plyvel's records differ from the LMDB's")
        }
    }
}
