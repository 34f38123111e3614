import Foundation

/// Zalando's Fashion-MNIST (28x28 grey images of clothes in 10 classes) as Debian's
/// `dataset-fashion-mnist` package installs it, converted into the LMDBs the recipes read.
public enum FashionMNIST {
    /// Where Debian's package puts the gzipped IDX files.
    public static let defaultSource = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
    /// Class names by label.
    public static let labels = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    static let package = "apt-get install dataset-fashion-mnist"

    /// What `prepare` wrote.
    public struct Summary: CustomStringConvertible, Sendable {
        public var directory: String
        public var trainCount: Int
        public var testCount: Int
        /// `[channels, height, width]` of every record.
        public var shape: [Int]
        public var seconds: Double

        public var description: String {
            "Fashion-MNIST: \(trainCount) training and \(testCount) test records (\(shapeText(shape))) in \(directory) "
                + "(train_lmdb, test_lmdb, labels.txt), \(String(format: "%.1f", seconds)) s"
        }
    }

    /// True when `directory` holds a finished conversion (prepare moves it into place only
    /// when complete, so an interrupted run leaves nothing that passes this check).
    public static func isPrepared(at directory: URL) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: directory.appendingPathComponent("train_lmdb/data.mdb").path)
            && fm.fileExists(atPath: directory.appendingPathComponent("test_lmdb/data.mdb").path)
            && fm.fileExists(atPath: directory.appendingPathComponent("labels.txt").path)
    }

    /// Converts the IDX files in `source` into `directory/train_lmdb` (60,000 records),
    /// `directory/test_lmdb` (10,000) and `directory/labels.txt`. Records are 1x28x28 Datums with
    /// the bytes unchanged and labels 0-9, keyed `%08d_<index>`. The work is done in a hidden
    /// sibling folder that is renamed into place at the end; an existing conversion is replaced.
    public static func prepare(from source: URL = defaultSource, into directory: URL,
                               progress: ((String) -> Void)? = nil) throws -> Summary {
        try prepare(from: source, into: directory, limit: nil, progress: progress)
    }

    /// `limit` converts only the first records of each set (tests on the real files).
    static func prepare(from source: URL, into directory: URL, limit: Int?,
                        progress: ((String) -> Void)?) throws -> Summary {
        let start = Date()
        let files = try sourceFiles(source)
        let directory = directory.standardizedFileURL
        let parent = directory.deletingLastPathComponent()
        let name = directory.lastPathComponent
        removeAbandonedWork(in: parent, name: name)
        let work = parent.appendingPathComponent(".\(name).partial-\(getpid())")
        let fm = FileManager.default
        do {
            if fm.fileExists(atPath: work.path) { try fm.removeItem(at: work) }
            try fm.createDirectory(at: work, withIntermediateDirectories: true)
        } catch {
            throw DataError.fileSystem(path: work.path, problem: "cannot make the working folder: \(error.localizedDescription)")
        }
        var finished = false
        defer { if !finished { try? fm.removeItem(at: work) } }

        let train = try convert(images: files.trainImages, labels: files.trainLabels, limit: limit,
                                into: work.appendingPathComponent("train_lmdb"), progress: progress)
        let test = try convert(images: files.testImages, labels: files.testLabels, limit: limit,
                               into: work.appendingPathComponent("test_lmdb"), progress: progress)
        do {
            try Data((labels.joined(separator: "\n") + "\n").utf8).write(to: work.appendingPathComponent("labels.txt"))
        } catch {
            throw DataError.fileSystem(path: work.appendingPathComponent("labels.txt").path, problem: "cannot write it: \(error.localizedDescription)")
        }
        try moveIntoPlace(work, directory)
        finished = true
        return Summary(directory: directory.path, trainCount: train.count, testCount: test.count,
                       shape: train.shape, seconds: Date().timeIntervalSince(start))
    }

    struct SourceFiles {
        var trainImages, trainLabels, testImages, testLabels: URL
    }

    static func sourceFiles(_ source: URL) throws -> SourceFiles {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError.datasetMissing(directory: source.path, file: nil, install: package)
        }
        func file(_ stem: String) throws -> URL {
            for candidate in [stem + ".gz", stem] {
                let url = source.appendingPathComponent(candidate)
                if FileManager.default.fileExists(atPath: url.path) { return url }
            }
            throw DataError.datasetMissing(directory: source.path, file: stem + ".gz", install: package)
        }
        return SourceFiles(trainImages: try file("train-images-idx3-ubyte"),
                           trainLabels: try file("train-labels-idx1-ubyte"),
                           testImages: try file("t10k-images-idx3-ubyte"),
                           testLabels: try file("t10k-labels-idx1-ubyte"))
    }

    private static func convert(images imageURL: URL, labels labelURL: URL, limit: Int?, into database: URL,
                                progress: ((String) -> Void)?) throws -> (count: Int, shape: [Int]) {
        progress?("Reading \(imageURL.lastPathComponent) and \(labelURL.lastPathComponent)")
        let images = try IDXFile.read(imageURL, maxItems: limit)
        let labels = try IDXFile.read(labelURL, maxItems: limit)
        guard images.type == .uint8, images.dims.count == 3 else {
            throw DataError.idx(file: imageURL.path, problem: "expected unsigned bytes with 3 dimensions (count, rows, columns), found \(images.type) with dimensions \(images.dims)")
        }
        guard labels.type == .uint8, labels.dims.count == 1 else {
            throw DataError.idx(file: labelURL.path, problem: "expected unsigned bytes with 1 dimension (count), found \(labels.type) with dimensions \(labels.dims)")
        }
        guard images.dims[0] == labels.dims[0] else {
            throw DataError.idx(file: labelURL.path, problem: "holds \(labels.dims[0]) labels but \(imageURL.lastPathComponent) holds \(images.dims[0]) images")
        }
        let (rows, columns) = (images.dims[1], images.dims[2])
        let count = images.itemCount
        progress?("Writing \(count) records of 1x\(rows)x\(columns) into \(database.lastPathComponent)")
        let writer = try LMDBWriter(path: database.path, initialMapSize: max(64 << 20, count * (rows * columns + 64) * 2),
                                    keysInOrder: true)
        for i in 0..<count {
            let label = Int(labels.bytes[labels.bytes.startIndex + i])
            guard label < FashionMNIST.labels.count else {
                throw DataError.idx(file: labelURL.path, problem: "label \(label) of item \(i) is outside 0-\(FashionMNIST.labels.count - 1)")
            }
            let datum = Caffe_Datum(channels: 1, height: rows, width: columns, bytes: images.item(i), label: label)
            let value: Data
            do {
                value = try datum.serializedData()
            } catch {
                throw DataError.badRecord(database: database.path, key: String(i), problem: "cannot encode it: \(error)")
            }
            try writer.put(key: Caffe_Datum.key(index: i, name: String(i)), value: value)
        }
        try writer.close()
        return (count, [1, rows, columns])
    }

    /// Renames the finished folder to `target`. Where an earlier conversion exists, its
    /// databases go first, so no moment has an old and a new one side by side looking complete.
    private static func moveIntoPlace(_ work: URL, _ target: URL) throws {
        let fm = FileManager.default
        func fail(_ path: String) -> DataError {
            .fileSystem(path: path, problem: "cannot move the finished conversion into place: \(String(cString: strerror(errno)))")
        }
        if !fm.fileExists(atPath: target.path) {
            guard rename(work.path, target.path) == 0 else { throw fail(target.path) }
            return
        }
        // Keep whatever else the user keeps in the folder; replace only what prepare writes.
        let items = ["labels.txt", "train_lmdb", "test_lmdb"]
        for item in items {
            let old = target.appendingPathComponent(item)
            if fm.fileExists(atPath: old.path) {
                do { try fm.removeItem(at: old) } catch {
                    throw DataError.fileSystem(path: old.path, problem: "cannot remove the earlier conversion: \(error.localizedDescription)")
                }
            }
        }
        // labels.txt last: isPrepared needs all three.
        for item in ["train_lmdb", "test_lmdb", "labels.txt"] {
            let to = target.appendingPathComponent(item)
            guard rename(work.appendingPathComponent(item).path, to.path) == 0 else { throw fail(to.path) }
        }
        try? fm.removeItem(at: work)
    }

    /// Removes working folders left by runs that were killed (their process is gone).
    private static func removeAbandonedWork(in parent: URL, name: String) {
        let prefix = ".\(name).partial-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            guard let pid = Int32(entry.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: parent.appendingPathComponent(entry))
            }
        }
    }
}
