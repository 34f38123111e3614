import Foundation

/// One key/value pair read from a database, copied out of it.
public struct DatabaseRecord: Equatable, Sendable {
    public var key: Data
    public var value: Data
    /// The key as text (Caffe's keys are ASCII such as `00000012_cat.jpg`).
    public var keyText: String { String(decoding: key, as: UTF8.self) }
}

/// The databases Caffe's data layers read: LMDB and LevelDB.
public enum DatabaseFormat: String, CaseIterable, Sendable {
    case lmdb, leveldb

    /// What the folder at `path` holds, told by its files (LMDB's data.mdb, LevelDB's CURRENT),
    /// never by a prototxt's `backend:`; nil when it holds neither or does not exist.
    public static func of(path: String) -> DatabaseFormat? {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        if fm.fileExists(atPath: (path as NSString).appendingPathComponent("data.mdb")) { return .lmdb }
        if fm.fileExists(atPath: (path as NSString).appendingPathComponent("CURRENT")) { return .leveldb }
        return nil
    }
}

/// A database of records in key order, opened for reading.
public protocol RecordDatabase: AnyObject {
    var path: String { get }
    /// Number of records.
    func count() throws -> Int
    /// A cursor at the first record; an empty database is `DataError.databaseEmpty`.
    func makeCursor() throws -> RecordCursor
}

/// Walks a database in key order and starts again at the first record after the last, as
/// Caffe's data layer does. Use it from one thread at a time.
public protocol RecordCursor: AnyObject {
    /// Index of the record `next()` returns, counting from the first record.
    var position: Int { get }
    /// The database's folder, for messages.
    var databasePath: String { get }
    /// The database's number of records.
    func recordCount() throws -> Int
    /// Back to the first record.
    func rewind() throws
    /// The record at the cursor; then the cursor moves on, wrapping to the first record.
    func next() throws -> DatabaseRecord
    /// Moves on one record without copying it.
    func advance() throws
}

extension RecordCursor {
    /// Places the cursor on record `index` (taken modulo the record count).
    public func seek(toPosition index: Int) throws {
        let total = try recordCount()
        guard total > 0 else { throw DataError.databaseEmpty(path: databasePath) }
        var target = index % total
        if target < 0 { target += total }
        if target < position { try rewind() }
        while position < target { try advance() }
    }
}

/// Writes key/value pairs into a new database, `transactionSize` puts at a time; `close()`
/// writes the rest and flushes.
public protocol RecordWriter: AnyObject {
    var transactionSize: Int { get set }
    func put(key: String, value: Data) throws
    func close() throws
}

public enum RecordDatabases {
    /// Opens the LMDB or LevelDB at `path`, whichever its files say it is. A missing path is
    /// `DataError.databaseMissing` with `missingHint`; a folder that holds neither names what
    /// it does hold.
    public static func open(path: String, missingHint: String? = nil) throws -> RecordDatabase {
        switch DatabaseFormat.of(path: path) {
        case .lmdb?: return try LMDBReader(path: path, missingHint: missingHint)
        case .leveldb?: return try LevelDBReader(path: path)
        case nil:
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw DataError.databaseMissing(path: path, hint: missingHint)
            }
            let found = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
                : []
            throw DataError.notADatabase(path: path, isFolder: isDirectory.boolValue, contents: found)
        }
    }

    /// A new database of `format` at `path` (a folder that must not exist yet), for about
    /// `sizeHint` bytes; `keysInOrder` promises that keys arrive in increasing order.
    public static func create(_ format: DatabaseFormat, path: String, sizeHint: Int, keysInOrder: Bool) throws -> RecordWriter {
        switch format {
        case .lmdb:
            return try LMDBWriter(path: path, initialMapSize: max(64 << 20, min(sizeHint, 64 << 30)),
                                  transactionSize: 1000, keysInOrder: keysInOrder)
        case .leveldb:
            return try LevelDBWriter(path: path)
        }
    }
}
