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
final class LevelDBHandle {
    let library: LevelDBLibrary
    let db: OpaquePointer
    let path: String
    /// Records, counted on first use by walking the keys (LevelDB keeps no count).
    var count: Int?

    private init(path: String) throws {
        let library = try LevelDBLibrary.get(path)
        self.library = library
        let options = library.optionsCreate()
        defer { library.optionsDestroy(options) }
        // Caffe's reading settings: a database of a few large files.
        library.setMaxOpenFiles(options, 100)
        var error: UnsafeMutablePointer<CChar>?
        let db = library.open(options, path, &error)
        try library.check(error, path, "open")
        guard let db else { throw DataError.leveldb(path: path, operation: "open", message: "no handle returned") }
        self.db = db
        self.path = path
    }

    deinit { library.close(db) }

    private static let shared = SharedHandles<LevelDBHandle>()

    static func acquire(path: String) throws -> LevelDBHandle {
        let key = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        return try shared.acquire(key) { try LevelDBHandle(path: path) }
    }

    static func release(_ handle: LevelDBHandle) { shared.release(handle) }

    /// Counts the records once.
    func recordCount() throws -> Int {
        if let known = LevelDBHandle.shared.locked({ count }) { return known }
        let iterator = try LevelDBIterator(handle: self)
        var n = 0
        while iterator.valid {
            n += 1
            library.iteratorNext(iterator.iterator)
        }
        try iterator.checkError("count the records")
        LevelDBHandle.shared.locked { count = n }
        return n
    }
}

/// A LevelDB iterator and the read options it was made with.
final class LevelDBIterator {
    let handle: LevelDBHandle
    let iterator: OpaquePointer
    private let options: OpaquePointer?

    init(handle: LevelDBHandle) throws {
        self.handle = handle
        let library = handle.library
        options = library.readOptionsCreate()
        // A pass over the whole database would only evict what is worth caching.
        library.fillCache(options, 0)
        guard let iterator = library.createIterator(handle.db, options) else {
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

    public func count() throws -> Int { try handle.recordCount() }

    public func makeCursor() throws -> RecordCursor { try LevelDBCursor(reader: self) }
}

/// Walks a LevelDB in key order, starting again after the last record.
public final class LevelDBCursor: RecordCursor {
    public let reader: LevelDBReader
    private let iterator: LevelDBIterator
    public private(set) var position = 0

    init(reader: LevelDBReader) throws {
        self.reader = reader
        iterator = try LevelDBIterator(handle: reader.handle)
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
