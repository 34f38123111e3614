import Foundation

/// LevelDB's C interface, opened at run time (Debian's libleveldb1d), so that Crema builds
/// without it and loads it only when a LevelDB database is met.
final class LevelDBLibrary: @unchecked Sendable {
    typealias Pointer = OpaquePointer
    typealias Create = @convention(c) () -> Pointer?
    typealias Destroy = @convention(c) (Pointer?) -> Void
    typealias SetFlag = @convention(c) (Pointer?, UInt8) -> Void
    typealias SetInt = @convention(c) (Pointer?, Int32) -> Void
    typealias SetSize = @convention(c) (Pointer?, Int) -> Void
    typealias Open = @convention(c) (Pointer?, UnsafePointer<CChar>, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Pointer?
    typealias CreateIterator = @convention(c) (Pointer?, Pointer?) -> Pointer?
    typealias IteratorValid = @convention(c) (Pointer?) -> UInt8
    typealias IteratorBytes = @convention(c) (Pointer?, UnsafeMutablePointer<Int>) -> UnsafePointer<CChar>?
    typealias IteratorError = @convention(c) (Pointer?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Void
    typealias BatchPut = @convention(c) (Pointer?, UnsafePointer<CChar>?, Int, UnsafePointer<CChar>?, Int) -> Void
    typealias Write = @convention(c) (Pointer?, Pointer?, Pointer?, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Void
    typealias Free = @convention(c) (UnsafeMutableRawPointer?) -> Void

    let optionsCreate: Create
    let optionsDestroy: Destroy
    let createIfMissing: SetFlag
    let errorIfExists: SetFlag
    let setWriteBufferSize: SetSize
    let setMaxOpenFiles: SetInt
    let open: Open
    let close: Destroy
    let readOptionsCreate: Create
    let readOptionsDestroy: Destroy
    let fillCache: SetFlag
    let createIterator: CreateIterator
    let iteratorDestroy: Destroy
    let seekToFirst: Destroy
    let iteratorValid: IteratorValid
    let iteratorNext: Destroy
    let iteratorKey: IteratorBytes
    let iteratorValue: IteratorBytes
    let iteratorError: IteratorError
    let writeOptionsCreate: Create
    let writeOptionsDestroy: Destroy
    let batchCreate: Create
    let batchDestroy: Destroy
    let batchClear: Destroy
    let batchPut: BatchPut
    let write: Write
    let free: Free

    /// The library, opened on first use, or why it could not be.
    static let shared: Result<LevelDBLibrary, DataError> = Result { try LevelDBLibrary() }
        .mapError { $0 as? DataError ?? .leveldb(path: "", operation: "open the library", message: "\($0)") }

    private init() throws {
        let names = ["libleveldb.so.1d", "libleveldb.so.1", "libleveldb.so"]
        var handle: UnsafeMutableRawPointer?
        for name in names where handle == nil { handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) }
        guard let handle else {
            throw DataError.leveldb(path: "", operation: "open the library",
                                    message: "LevelDB's library (\(names.joined(separator: ", "))) is not installed; install it with `apt-get install libleveldb1d`, or convert the database to LMDB")
        }
        func function<F>(_ name: String, _ type: F.Type) throws -> F {
            guard let symbol = dlsym(handle, name) else {
                throw DataError.leveldb(path: "", operation: "open the library", message: "the LevelDB library has no \(name); is it LevelDB 1.20 or later?")
            }
            return unsafeBitCast(symbol, to: type)
        }
        optionsCreate = try function("leveldb_options_create", Create.self)
        optionsDestroy = try function("leveldb_options_destroy", Destroy.self)
        createIfMissing = try function("leveldb_options_set_create_if_missing", SetFlag.self)
        errorIfExists = try function("leveldb_options_set_error_if_exists", SetFlag.self)
        setWriteBufferSize = try function("leveldb_options_set_write_buffer_size", SetSize.self)
        setMaxOpenFiles = try function("leveldb_options_set_max_open_files", SetInt.self)
        open = try function("leveldb_open", Open.self)
        close = try function("leveldb_close", Destroy.self)
        readOptionsCreate = try function("leveldb_readoptions_create", Create.self)
        readOptionsDestroy = try function("leveldb_readoptions_destroy", Destroy.self)
        fillCache = try function("leveldb_readoptions_set_fill_cache", SetFlag.self)
        createIterator = try function("leveldb_create_iterator", CreateIterator.self)
        iteratorDestroy = try function("leveldb_iter_destroy", Destroy.self)
        seekToFirst = try function("leveldb_iter_seek_to_first", Destroy.self)
        iteratorValid = try function("leveldb_iter_valid", IteratorValid.self)
        iteratorNext = try function("leveldb_iter_next", Destroy.self)
        iteratorKey = try function("leveldb_iter_key", IteratorBytes.self)
        iteratorValue = try function("leveldb_iter_value", IteratorBytes.self)
        iteratorError = try function("leveldb_iter_get_error", IteratorError.self)
        writeOptionsCreate = try function("leveldb_writeoptions_create", Create.self)
        writeOptionsDestroy = try function("leveldb_writeoptions_destroy", Destroy.self)
        batchCreate = try function("leveldb_writebatch_create", Create.self)
        batchDestroy = try function("leveldb_writebatch_destroy", Destroy.self)
        batchClear = try function("leveldb_writebatch_clear", Destroy.self)
        batchPut = try function("leveldb_writebatch_put", BatchPut.self)
        write = try function("leveldb_write", Write.self)
        free = try function("leveldb_free", Free.self)
    }

    static func get(_ path: String) throws -> LevelDBLibrary {
        switch shared {
        case .success(let library): return library
        case .failure(let error):
            if case .leveldb(_, let operation, let message) = error {
                throw DataError.leveldb(path: path, operation: operation, message: message)
            }
            throw error
        }
    }

    /// Throws LevelDB's message when a call set `error`, and frees it.
    func check(_ error: UnsafeMutablePointer<CChar>?, _ path: String, _ operation: String) throws {
        guard let error else { return }
        let message = String(cString: error)
        free(error)
        throw DataError.leveldb(path: path, operation: operation, message: message)
    }
}

/// A LevelDB database open in this process, shared by every reader of the same folder:
/// LevelDB locks a database against a second open, in this process too, and the TRAIN and
/// TEST nets may read the same one.
///
/// Another process holding the lock (a second mpirun rank on this machine, a `test` beside a
/// training run) or a folder this process may not write (LevelDB writes even to read) is read
/// through a private copy: the immutable table files linked, the rest copied, removed on close.
final class LevelDBHandle: SharedHandle {
    let library: LevelDBLibrary
    /// Open until `close`; every reader of the handle is gone by then.
    private(set) var db: OpaquePointer?
    let path: String
    /// The private copy opened instead of `path`, if one was needed.
    private(set) var copy: URL?
    /// Records, counted on first use by walking the keys (LevelDB keeps no count); the lock
    /// makes a second caller wait for the first count rather than walk again.
    private var count: Int?
    private let countLock = NSLock()

    private init(path: String) throws {
        let library = try LevelDBLibrary.get(path)
        self.library = library
        self.path = path
        do {
            db = try Self.open(library, path)
        } catch let error as DataError where Self.isLockedOrReadOnly(error) {
            let copy = try Self.privateCopy(of: path)
            do {
                db = try Self.open(library, copy.path)
            } catch {
                try? FileManager.default.removeItem(at: copy)
                throw error
            }
            self.copy = copy
        }
    }

    private static func open(_ library: LevelDBLibrary, _ path: String) throws -> OpaquePointer {
        let options = library.optionsCreate()
        defer { library.optionsDestroy(options) }
        // Caffe's reading settings: a database of a few large files.
        library.setMaxOpenFiles(options, 100)
        var error: UnsafeMutablePointer<CChar>?
        let db = library.open(options, path, &error)
        try library.check(error, path, "open")
        guard let db else { throw DataError.leveldb(path: path, operation: "open", message: "no handle returned") }
        return db
    }

    private static func isLockedOrReadOnly(_ error: DataError) -> Bool {
        guard case .leveldb(_, _, let message) = error else { return false }
        return ["lock", "Permission denied", "Read-only file system"].contains { message.contains($0) }
    }

    /// A folder of this process's own that LevelDB can open as `path`'s database.
    private static func privateCopy(of path: String) throws -> URL {
        let fm = FileManager.default
        let copy = fm.temporaryDirectory.appendingPathComponent("crema-leveldb-\(getpid())-\(UUID().uuidString)")
        do {
            try fm.createDirectory(at: copy, withIntermediateDirectories: true)
            for name in try fm.contentsOfDirectory(atPath: path) where !["LOCK", "LOG", "LOG.old"].contains(name) {
                let from = (path as NSString).appendingPathComponent(name), to = copy.appendingPathComponent(name).path
                // Table files never change once written: a link shares them; the rest is copied.
                if !(name.hasSuffix(".ldb") || name.hasSuffix(".sst")) || link(from, to) != 0 {
                    try fm.copyItem(atPath: from, toPath: to)
                }
            }
        } catch {
            try? fm.removeItem(at: copy)
            throw DataError.leveldb(path: path, operation: "open",
                                    message: "another process holds its lock (or it cannot be written), and a private copy could not be made in \(fm.temporaryDirectory.path): \(error.localizedDescription); convert it to LMDB, which many processes can read at once")
        }
        return copy
    }

    func close() {
        if let db { library.close(db) }
        db = nil
        if let copy { try? FileManager.default.removeItem(at: copy) }
        copy = nil
    }

    deinit { close() }

    private static let shared = SharedHandles<LevelDBHandle>()

    /// The open database of `path`. The key includes CURRENT's inode, so a database replaced
    /// on disk (`--force`) is opened afresh, not served stale.
    static func acquire(path: String) throws -> LevelDBHandle {
        try shared.acquire(SharedHandles<LevelDBHandle>.key(folder: path, marker: "CURRENT")) { try LevelDBHandle(path: path) }
    }

    static func release(_ handle: LevelDBHandle) { shared.release(handle) }

    /// Counts the records once, walking an iterator `make` gives.
    func recordCount(_ make: () throws -> LevelDBIterator) throws -> Int {
        countLock.lock()
        defer { countLock.unlock() }
        if let count { return count }
        let iterator = try make()
        var n = 0
        while iterator.valid {
            n += 1
            library.iteratorNext(iterator.iterator)
        }
        try iterator.checkError("count the records")
        count = n
        return n
    }
}

/// A LevelDB iterator and the read options it was made with. It holds its reader, so the
/// database (closed when its last reader goes) outlives every iterator over it.
final class LevelDBIterator {
    let reader: LevelDBReader
    var handle: LevelDBHandle { reader.handle }
    let iterator: OpaquePointer
    private let options: OpaquePointer?

    init(reader: LevelDBReader) throws {
        self.reader = reader
        let handle = reader.handle
        let library = handle.library
        options = library.readOptionsCreate()
        // A pass over the whole database would only evict what is worth caching.
        library.fillCache(options, 0)
        guard let db = handle.db, let iterator = library.createIterator(db, options) else {
            library.readOptionsDestroy(options)
            throw DataError.leveldb(path: handle.path, operation: "create an iterator", message: "no handle returned")
        }
        self.iterator = iterator
        library.seekToFirst(iterator)
    }

    deinit {
        handle.library.iteratorDestroy(iterator)
        handle.library.readOptionsDestroy(options)
    }

    var valid: Bool { handle.library.iteratorValid(iterator) != 0 }

    func checkError(_ operation: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        handle.library.iteratorError(iterator, &error)
        try handle.library.check(error, handle.path, operation)
    }

    func bytes(_ read: LevelDBLibrary.IteratorBytes) -> Data {
        var length = 0
        guard let p = read(iterator, &length), length > 0 else { return Data() }
        return Data(bytes: p, count: length)
    }
}

/// A LevelDB folder opened for reading (Caffe's `db::LevelDB` in READ mode).
public final class LevelDBReader: RecordDatabase {
    public let path: String
    let handle: LevelDBHandle

    public init(path: String) throws {
        self.path = path
        handle = try LevelDBHandle.acquire(path: path)
    }

    deinit { LevelDBHandle.release(handle) }

    public func count() throws -> Int { try handle.recordCount { try LevelDBIterator(reader: self) } }

    public func makeCursor() throws -> RecordCursor { try LevelDBCursor(reader: self) }
}

/// Walks a LevelDB in key order, starting again after the last record.
public final class LevelDBCursor: RecordCursor {
    public let reader: LevelDBReader
    private let iterator: LevelDBIterator
    public private(set) var position = 0

    init(reader: LevelDBReader) throws {
        self.reader = reader
        iterator = try LevelDBIterator(reader: reader)
        try rewind()
    }

    public var databasePath: String { reader.path }
    public func recordCount() throws -> Int { try reader.count() }

    public func rewind() throws {
        reader.handle.library.seekToFirst(iterator.iterator)
        try iterator.checkError("read the first record")
        guard iterator.valid else { throw DataError.databaseEmpty(path: reader.path) }
        position = 0
    }

    public func next() throws -> DatabaseRecord {
        guard iterator.valid else { throw DataError.leveldb(path: reader.path, operation: "read a record", message: "the iterator is past the end") }
        let library = reader.handle.library
        let record = DatabaseRecord(key: iterator.bytes(library.iteratorKey), value: iterator.bytes(library.iteratorValue))
        try advance()
        return record
    }

    public func advance() throws {
        // Moving an iterator that is not on a record is undefined in LevelDB.
        guard iterator.valid else {
            try iterator.checkError("read the next record")
            throw DataError.leveldb(path: reader.path, operation: "read the next record", message: "the iterator is past the end")
        }
        reader.handle.library.iteratorNext(iterator.iterator)
        try iterator.checkError("read the next record")
        if iterator.valid {
            position += 1
        } else {
            try rewind()
        }
    }
}

/// Writes a new LevelDB (Caffe's `db::LevelDB` in NEW mode: a 256 MB write buffer), a batch
/// of `transactionSize` puts at a time.
public final class LevelDBWriter: RecordWriter {
    public let path: String
    public var transactionSize = 1000
    private var handle: OpaquePointer?
    private let library: LevelDBLibrary
    private let batch: OpaquePointer?
    private let writeOptions: OpaquePointer?
    private var pending = 0
    private var closed = false

    public init(path: String) throws {
        self.path = path
        let library = try LevelDBLibrary.get(path)
        self.library = library
        let options = library.optionsCreate()
        defer { library.optionsDestroy(options) }
        library.createIfMissing(options, 1)
        library.errorIfExists(options, 1)
        library.setWriteBufferSize(options, 256 << 20)
        var error: UnsafeMutablePointer<CChar>?
        let db = library.open(options, path, &error)
        try library.check(error, path, "create")
        guard let db else { throw DataError.leveldb(path: path, operation: "create", message: "no handle returned") }
        handle = db
        batch = library.batchCreate()
        writeOptions = library.writeOptionsCreate()
    }

    deinit {
        library.batchDestroy(batch)
        library.writeOptionsDestroy(writeOptions)
        if let handle { library.close(handle) }
    }

    public func put(key: String, value: Data) throws {
        guard !closed else { throw DataError.leveldb(path: path, operation: "write", message: "the database is closed") }
        let keyBytes = Array(key.utf8)
        keyBytes.withUnsafeBufferPointer { k in
            value.withUnsafeBytes { v in
                library.batchPut(batch, k.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, k.count,
                                 v.baseAddress?.assumingMemoryBound(to: CChar.self), v.count)
            }
        }
        pending += 1
        if pending >= max(transactionSize, 1) { try commit() }
    }

    /// Writes the batch held so far.
    public func commit() throws {
        guard pending > 0 else { return }
        var error: UnsafeMutablePointer<CChar>?
        library.write(handle, writeOptions, batch, &error)
        try library.check(error, path, "write a batch")
        library.batchClear(batch)
        pending = 0
    }

    /// Writes the last batch and closes the database (its files are complete then).
    public func close() throws {
        guard !closed else { return }
        try commit()
        closed = true
        if let handle { library.close(handle) }
        handle = nil
    }
}
