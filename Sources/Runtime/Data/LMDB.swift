import CLMDB
import Foundation

/// Throws LMDB's own message for a failed call.
@inline(__always)
func lmdbCheck(_ rc: Int32, _ path: String, _ operation: String) throws {
    guard rc != MDB_SUCCESS else { return }
    let full = rc == EIO || rc == ENOSPC ? FreeSpace.hint(for: path) : ""
    throw DataError.lmdb(path: path, operation: operation, code: rc, message: lmdbMessage(rc) + full)
}

func lmdbMessage(_ rc: Int32) -> String {
    guard let text = mdb_strerror(rc) else { return "unknown error" }
    return String(cString: text)
}

/// Runs `body` with an MDB_val over `bytes`, which LMDB reads but does not keep.
@inline(__always)
private func withValue<R>(_ bytes: Data, _ body: (inout MDB_val) throws -> R) rethrows -> R {
    try bytes.withUnsafeBytes { raw in
        // LMDB wants a non-null pointer even for an empty value.
        var dummy: UInt8 = 0
        return try withUnsafeMutablePointer(to: &dummy) { fallback in
            var v = MDB_val(mv_size: raw.count,
                            mv_data: raw.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) } ?? UnsafeMutableRawPointer(fallback))
            return try body(&v)
        }
    }
}

@inline(__always)
private func copy(_ v: MDB_val) -> Data {
    guard let p = v.mv_data, v.mv_size > 0 else { return Data() }
    return Data(bytes: p, count: v.mv_size)
}

// MARK: - Reading

/// An environment opened read-only, shared by every reader of the same directory in this
/// process: LMDB forbids opening one database twice in a process (closing either handle would
/// drop the other's file locks), and the TRAIN and TEST nets may read the same one.
final class LMDBEnvironment: SharedHandle {
    let path: String
    let env: OpaquePointer
    let dbi: MDB_dbi

    private init(path: String) throws {
        let env = try LMDBEnvironment.openReadOnly(path: path)
        var txn: OpaquePointer?
        var dbi: MDB_dbi = 0
        var rc = mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn)
        if rc == MDB_SUCCESS {
            rc = mdb_dbi_open(txn, nil, 0, &dbi)
            if rc == MDB_SUCCESS { rc = mdb_txn_commit(txn) } else { mdb_txn_abort(txn) }
        }
        if rc != MDB_SUCCESS { mdb_env_close(env) }
        try lmdbCheck(rc, path, "open the main database")
        self.env = env
        self.dbi = dbi
        self.path = path
    }

    private static func openReadOnly(path: String) throws -> OpaquePointer {
        func attempt(_ flags: Int32) throws -> (OpaquePointer, Int32) {
            var handle: OpaquePointer?
            try lmdbCheck(mdb_env_create(&handle), path, "create environment")
            guard let env = handle else {
                throw DataError.lmdb(path: path, operation: "create environment", code: -1, message: "no handle returned")
            }
            let rc = mdb_env_open(env, path, UInt32(flags), 0o664)
            if rc != MDB_SUCCESS { mdb_env_close(env) }
            return (env, rc)
        }
        // MDB_NOTLS: read transactions belong to their cursor, not to the opening thread, so the
        // prefetch thread can use a cursor made elsewhere and one thread can hold several.
        var (env, rc) = try attempt(MDB_RDONLY | MDB_NOTLS)
        if rc == EACCES {
            // A read-only folder cannot hold the lock file; data that nobody writes needs none.
            (env, rc) = try attempt(MDB_RDONLY | MDB_NOTLS | MDB_NOLOCK)
        }
        try lmdbCheck(rc, path, "open (read-only)")
        return env
    }

    private var closed = false

    func close() {
        guard !closed else { return }
        closed = true
        mdb_env_close(env)
    }

    deinit { close() }

    private static let shared = SharedHandles<LMDBEnvironment>()

    /// The open environment for `path`, opened on first use. The key includes the data file's
    /// inode, so a database replaced on disk (`--force`) is opened afresh, not served stale.
    static func acquire(path: String) throws -> LMDBEnvironment {
        try shared.acquire(SharedHandles<LMDBEnvironment>.key(folder: path, marker: "data.mdb")) { try LMDBEnvironment(path: path) }
    }

    /// Closes the environment when its last user lets go.
    static func release(_ environment: LMDBEnvironment) { shared.release(environment) }
}

/// A database directory opened read-only (Caffe's `db::READ`).
public final class LMDBReader: RecordDatabase {
    public let path: String
    let environment: LMDBEnvironment

    /// Opens the existing database at `path`; a missing one is `DataError.databaseMissing`.
    public init(path: String, missingHint: String? = nil) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
              FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("data.mdb")) else {
            throw DataError.databaseMissing(path: path, hint: missingHint)
        }
        self.path = path
        environment = try LMDBEnvironment.acquire(path: path)
    }

    deinit { LMDBEnvironment.release(environment) }

    /// Number of records.
    public func count() throws -> Int {
        var stat = MDB_stat()
        try lmdbCheck(mdb_env_stat(environment.env, &stat), path, "stat")
        return Int(stat.ms_entries)
    }

    /// A cursor at the first record, in key order; an empty database is `DataError.databaseEmpty`.
    public func makeCursor() throws -> RecordCursor { try LMDBCursor(reader: self) }
}

/// Walks a database in key order and starts again at the first record after the last, as
/// Caffe's data layer does. Use it from one thread at a time.
public final class LMDBCursor: RecordCursor {
    public let reader: LMDBReader
    private let txn: OpaquePointer
    private let cursor: OpaquePointer
    private var key = MDB_val()
    private var value = MDB_val()
    /// Index of the record `next()` returns, counting from the first record.
    public private(set) var position = 0

    init(reader: LMDBReader) throws {
        self.reader = reader
        let path = reader.path
        var t: OpaquePointer?
        try lmdbCheck(mdb_txn_begin(reader.environment.env, nil, UInt32(MDB_RDONLY), &t), path, "begin read transaction")
        guard let txn = t else {
            throw DataError.lmdb(path: path, operation: "begin read transaction", code: -1, message: "no handle returned")
        }
        var c: OpaquePointer?
        let rc = mdb_cursor_open(txn, reader.environment.dbi, &c)
        guard rc == MDB_SUCCESS, let cursor = c else {
            mdb_txn_abort(txn)
            try lmdbCheck(rc == MDB_SUCCESS ? -1 : rc, path, "open cursor")
            throw DataError.lmdb(path: path, operation: "open cursor", code: -1, message: "no handle returned")
        }
        self.txn = txn
        self.cursor = cursor
        // Fully initialised: if this throws, deinit closes the cursor and the transaction.
        try rewind()
    }

    deinit {
        mdb_cursor_close(cursor)
        mdb_txn_abort(txn)
    }

    public func recordCount() throws -> Int { try reader.count() }
    public var databasePath: String { reader.path }

    /// Back to the first record.
    public func rewind() throws {
        let rc = mdb_cursor_get(cursor, &key, &value, MDB_FIRST)
        if rc == MDB_NOTFOUND { throw DataError.databaseEmpty(path: reader.path) }
        try lmdbCheck(rc, reader.path, "read the first record")
        position = 0
    }

    /// The record at the cursor; then the cursor moves on, wrapping to the first record.
    public func next() throws -> DatabaseRecord {
        let entry = DatabaseRecord(key: copy(key), value: copy(value))
        try advance()
        return entry
    }

    /// Moves on one record without copying it.
    public func advance() throws {
        let rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
        if rc == MDB_NOTFOUND {
            try rewind()
            return
        }
        try lmdbCheck(rc, reader.path, "read the next record")
        position += 1
    }

}

// MARK: - Writing

/// Writes key/value pairs into a new or existing database directory, a transaction of
/// `transactionSize` puts at a time, doubling the map size whenever LMDB reports it full.
/// Call `close()` to write the last transaction and flush to disk.
public final class LMDBWriter: RecordWriter {
    public let path: String
    /// Current map size in bytes (the most the database can grow to before it is doubled).
    public private(set) var mapSize: Int
    /// Puts held for the next transaction.
    public var transactionSize: Int
    /// Pairs committed so far.
    public private(set) var committed = 0
    /// Keys arrive in increasing order into an empty database, so each put goes at the end
    /// (MDB_APPEND: full pages, a smaller file); a key out of order is an LMDB error.
    public let keysInOrder: Bool
    private var env: OpaquePointer?
    private var pending: [(key: Data, value: Data)] = []

    public init(path: String, initialMapSize: Int = 64 << 20, transactionSize: Int = 1000,
                keysInOrder: Bool = false) throws {
        self.path = path
        self.keysInOrder = keysInOrder
        mapSize = max(initialMapSize, 4096)
        self.transactionSize = max(transactionSize, 1)
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw DataError.fileSystem(path: path, problem: "cannot create the database folder: \(error.localizedDescription)")
        }
        var handle: OpaquePointer?
        try lmdbCheck(mdb_env_create(&handle), path, "create environment")
        guard let env = handle else {
            throw DataError.lmdb(path: path, operation: "create environment", code: -1, message: "no handle returned")
        }
        self.env = env
        try lmdbCheck(mdb_env_set_mapsize(env, mapSize), path, "set map size")
        // No sync per commit (a bulk load would spend most of its time in fsync); close() syncs.
        try lmdbCheck(mdb_env_open(env, path, UInt32(MDB_NOSYNC), 0o664), path, "open for writing")
    }

    deinit {
        if let env { mdb_env_close(env) }
    }

    public func put(key: String, value: Data) throws { try put(key: Data(key.utf8), value: value) }

    public func put(key: Data, value: Data) throws {
        guard env != nil else {
            throw DataError.lmdb(path: path, operation: "put", code: -1, message: "the writer is closed")
        }
        pending.append((key, value))
        if pending.count >= transactionSize { try commit() }
    }

    /// Writes the held puts in one transaction, growing the map and retrying when it is full.
    public func commit() throws {
        guard let env, !pending.isEmpty else { return }
        while true {
            let rc = writePending(env)
            if rc == MDB_MAP_FULL {
                try grow(env)
                continue
            }
            try lmdbCheck(rc, path, "write a transaction")
            committed += pending.count
            pending.removeAll(keepingCapacity: true)
            return
        }
    }

    /// Commits, flushes to disk and closes; the writer cannot be used afterwards.
    public func close() throws {
        guard let env else { return }
        try commit()
        try lmdbCheck(mdb_env_sync(env, 1), path, "sync to disk")
        mdb_env_close(env)
        self.env = nil
    }

    /// One transaction with every pending put; the return code of the first failure.
    private func writePending(_ env: OpaquePointer) -> Int32 {
        var t: OpaquePointer?
        var rc = mdb_txn_begin(env, nil, 0, &t)
        guard rc == MDB_SUCCESS, let txn = t else { return rc == MDB_SUCCESS ? -1 : rc }
        var dbi: MDB_dbi = 0
        rc = mdb_dbi_open(txn, nil, 0, &dbi)
        if rc != MDB_SUCCESS {
            mdb_txn_abort(txn)
            return rc
        }
        let flags = keysInOrder ? UInt32(MDB_APPEND) : 0
        for (k, v) in pending {
            rc = withValue(k) { key in withValue(v) { value in mdb_put(txn, dbi, &key, &value, flags) } }
            if rc != MDB_SUCCESS {
                mdb_txn_abort(txn)
                return rc
            }
        }
        return mdb_txn_commit(txn)
    }

    private func grow(_ env: OpaquePointer) throws {
        var info = MDB_envinfo()
        try lmdbCheck(mdb_env_info(env, &info), path, "read environment info")
        mapSize = max(info.me_mapsize, mapSize) * 2
        try lmdbCheck(mdb_env_set_mapsize(env, mapSize), path, "grow the map to \(mapSize) bytes")
    }
}
