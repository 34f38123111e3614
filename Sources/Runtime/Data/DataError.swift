import Foundation

/// Something on the data road (databases, records, dataset files, mean files) that cannot be
/// used as it is. Each case names the file or database so the message says where to look.
public enum DataError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// An LMDB call failed; `message` is LMDB's own (`mdb_strerror`).
    case lmdb(path: String, operation: String, code: Int32, message: String)
    /// No database at `path`; `hint` says how to make it when Crema knows.
    case databaseMissing(path: String, hint: String?)
    /// The database exists but holds no records.
    case databaseEmpty(path: String)
    /// A record that cannot be used (corrupt, a different shape from the first, a bad label).
    /// `database` and `key` are filled in by the reader that knows them.
    case badRecord(database: String?, key: String?, problem: String)
    /// A record holding JPEG/PNG bytes, which Crema does not decode yet.
    case encodedRecord(database: String?, key: String?)
    /// An IDX file (MNIST's format) that is missing, not IDX, or cut short.
    case idx(file: String, problem: String)
    /// The folder of a packaged dataset is missing (or lacks one of its files).
    case datasetMissing(directory: String, file: String?, install: String)
    /// A mean image (`.binaryproto`) that cannot be read, written or used.
    case meanFile(path: String, problem: String)
    /// Transformation settings that do not fit the records (crop, mean, scale).
    case transform(problem: String)
    /// A file-system step (make a folder, rename into place) failed.
    case fileSystem(path: String, problem: String)
    /// A LevelDB call failed, with LevelDB's message.
    case leveldb(path: String, operation: String, message: String)
    /// Something at the path, but neither an LMDB nor a LevelDB.
    case notADatabase(path: String, isFolder: Bool, contents: [String])

    public var description: String {
        switch self {
        case let .lmdb(path, operation, code, message):
            return "LMDB \(operation) failed for \(path): \(message) (code \(code))"
        case let .databaseMissing(path, hint):
            return "no database at \(path)" + (hint.map { ": \($0)" } ?? "; check the path (it is relative to the current directory)")
        case let .databaseEmpty(path):
            return "the database at \(path) holds no records"
        case let .badRecord(database, key, problem):
            return "record\(Self.place(database, key)): \(problem)"
        case let .encodedRecord(database, key):
            return "record\(Self.place(database, key)) holds an encoded (JPEG/PNG) image where raw pixels were expected; decode it first (Caffe_Datum.decoded())"
        case let .idx(file, problem):
            return "IDX file \(file): \(problem)"
        case let .datasetMissing(directory, file, install):
            let what = file.map { "\($0) is missing from \(directory)" } ?? "\(directory) does not exist"
            return "\(what); install it with `\(install)` (Debian package), which puts the files in \(directory)"
        case let .meanFile(path, problem):
            return "mean file \(path): \(problem)"
        case let .transform(problem):
            return "data transformation: \(problem)"
        case let .fileSystem(path, problem):
            return "\(path): \(problem)"
        case let .leveldb(path, operation, message):
            return "LevelDB \(operation) failed for \(path): \(message)"
        case let .notADatabase(path, isFolder, contents):
            guard isFolder else {
                return "\(path) is a file, not a database; an LMDB or a LevelDB is a folder (Caffe's convert_imageset or `experiments prepare` makes one)"
            }
            let shown = contents.prefix(6).joined(separator: ", ") + (contents.count > 6 ? ", ..." : "")
            return "\(path) is a folder but neither an LMDB (no data.mdb) nor a LevelDB (no CURRENT)"
                + (contents.isEmpty ? "; it is empty" : "; it holds \(shown)") + ". Point at the database's own folder"
        }
    }

    public var errorDescription: String? { description }

    private static func place(_ database: String?, _ key: String?) -> String {
        var text = ""
        if let key { text += " '\(key)'" }
        if let database { text += " in \(database)" }
        return text
    }

    /// The same error with the record's database and key filled in where they were unknown.
    func located(database: String, key: String) -> DataError {
        switch self {
        case let .badRecord(d, k, problem): return .badRecord(database: d ?? database, key: k ?? key, problem: problem)
        case let .encodedRecord(d, k): return .encodedRecord(database: d ?? database, key: k ?? key)
        case let .transform(problem): return .badRecord(database: database, key: key, problem: problem)
        default: return self
        }
    }
}
