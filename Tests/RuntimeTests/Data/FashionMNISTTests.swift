import Foundation
import Testing
@testable import Runtime

@Suite struct FashionMNISTTests {
    static let side = 28

    static func image(_ i: Int) -> [UInt8] {
        (0..<(side * side)).map { UInt8((i * 13 + $0 * 3) % 256) }
    }

    /// Debian's four files, with `train` and `test` synthetic images labelled `i % 10`
    /// (or `badLabel` for the last training item).
    static func writeSource(_ dir: URL, train: Int, test: Int, badLabel: UInt8? = nil) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func write(_ prefix: String, _ n: Int, badLabel: UInt8?) throws {
            try IDXFile.write(dims: [n, side, side], bytes: (0..<n).flatMap { image($0) },
                              to: dir.appendingPathComponent("\(prefix)-images-idx3-ubyte.gz"))
            var labels = (0..<n).map { UInt8($0 % 10) }
            if let badLabel { labels[n - 1] = badLabel }
            try IDXFile.write(dims: [n], bytes: labels, to: dir.appendingPathComponent("\(prefix)-labels-idx1-ubyte.gz"))
        }
        try write("train", train, badLabel: badLabel)
        try write("t10k", test, badLabel: nil)
    }

    @Test func convertsIDXFilesIntoLMDBs() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let source = dir.appendingPathComponent("source")
        try Self.writeSource(source, train: 30, test: 12)
        let out = dir.appendingPathComponent("data/fashion-mnist")
        #expect(!FashionMNIST.isPrepared(at: out))
        var messages: [String] = []
        let summary = try FashionMNIST.prepare(from: source, into: out) { messages.append($0) }
        #expect(summary.trainCount == 30 && summary.testCount == 12)
        #expect(summary.shape == [1, 28, 28])
        #expect(!messages.isEmpty)
        #expect(FashionMNIST.isPrepared(at: out))

        let train = try LMDBReader(path: out.appendingPathComponent("train_lmdb").path)
        #expect(try train.count() == 30)
        let cursor = try train.makeCursor()
        try cursor.seek(toPosition: 17)
        let entry = try cursor.next()
        #expect(entry.keyText == "00000017_17")
        let datum = try Caffe_Datum(record: entry.value)
        #expect(datum.shape == [1, 28, 28])
        #expect(datum.label == 7)
        #expect(Array(datum.data) == Self.image(17))
        #expect(datum.floatData.isEmpty && !datum.encoded)
        #expect(try LMDBReader(path: out.appendingPathComponent("test_lmdb").path).count() == 12)

        let labels = try String(contentsOf: out.appendingPathComponent("labels.txt"), encoding: .utf8)
        #expect(labels.split(separator: "\n").map(String.init) == FashionMNIST.labels)
        // The working folder is gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.deletingLastPathComponent().path) == ["fashion-mnist"])
    }

    @Test func preparingAgainReplacesTheDatabasesAndKeepsOtherFiles() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let source = dir.appendingPathComponent("source")
        let out = dir.appendingPathComponent("fashion-mnist")
        try Self.writeSource(source, train: 5, test: 3)
        _ = try FashionMNIST.prepare(from: source, into: out, progress: nil)
        try Data("mine".utf8).write(to: out.appendingPathComponent("notes.txt"))
        try Self.writeSource(source, train: 8, test: 4)
        let summary = try FashionMNIST.prepare(from: source, into: out, progress: nil)
        #expect(summary.trainCount == 8)
        #expect(try LMDBReader(path: out.appendingPathComponent("train_lmdb").path).count() == 8)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("notes.txt").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["fashion-mnist", "source"])
    }

    @Test func aFailedConversionLeavesNothingThatLooksComplete() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let source = dir.appendingPathComponent("source")
        try Self.writeSource(source, train: 6, test: 3, badLabel: 12)
        let out = dir.appendingPathComponent("fashion-mnist")
        #expect { try FashionMNIST.prepare(from: source, into: out, progress: nil) } throws: { error in
            "\(error)".contains("label 12") && "\(error)".contains("train-labels-idx1-ubyte.gz")
        }
        #expect(!FashionMNIST.isPrepared(at: out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["source"])
    }

    @Test func aMissingSourceSaysWhichPackageToInstall() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let source = dir.appendingPathComponent("no-such-dataset")
        do {
            _ = try FashionMNIST.prepare(from: source, into: dir.appendingPathComponent("out"), progress: nil)
            Issue.record("no error for a missing source")
        } catch let error as DataError {
            #expect(error == .datasetMissing(directory: source.path, file: nil, install: "apt-get install dataset-fashion-mnist"))
            #expect(error.description.contains("apt-get install dataset-fashion-mnist"))
            #expect(error.description.contains(source.path))
        }

        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        #expect { try FashionMNIST.prepare(from: source, into: dir.appendingPathComponent("out"), progress: nil) } throws: { error in
            "\(error)".contains("train-images-idx3-ubyte.gz") && "\(error)".contains("apt-get install dataset-fashion-mnist")
        }
    }

    /// Reads only the first records of the installed dataset (when it is installed).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: FashionMNIST.defaultSource.path)))
    func theInstalledDatasetHasTheExpectedLayout() throws {
        let source = FashionMNIST.defaultSource
        let images = try IDXFile.read(source.appendingPathComponent("train-images-idx3-ubyte.gz"), maxItems: 3)
        #expect(images.dims == [60_000, 28, 28])
        #expect(images.type == .uint8 && images.itemCount == 3)
        let labels = try IDXFile.read(source.appendingPathComponent("t10k-labels-idx1-ubyte.gz"), maxItems: 20)
        #expect(labels.dims == [10_000])
        #expect(labels.bytes.allSatisfy { $0 < 10 })

        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let out = dir.appendingPathComponent("fashion-mnist")
        let summary = try FashionMNIST.prepare(from: source, into: out, limit: 50, progress: nil)
        #expect(summary.trainCount == 50 && summary.testCount == 50)
        let cursor = try LMDBReader(path: out.appendingPathComponent("train_lmdb").path).makeCursor()
        let first = try Caffe_Datum(record: try cursor.next().value)
        #expect(first.shape == [1, 28, 28])
        #expect(Array(first.data) == Array(images.item(0)))
    }
}
