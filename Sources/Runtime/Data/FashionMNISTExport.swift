import Foundation

extension FashionMNIST {
    /// What `exportImages` wrote.
    public struct ExportSummary: CustomStringConvertible, Sendable {
        public var directory: String
        public var trainCount: Int
        public var testCount: Int

        public var description: String {
            "Fashion-MNIST as PNG files: \(trainCount) in \(directory)/train (list train.txt), \(testCount) in \(directory)/test (list test.txt)"
        }
    }

    /// Writes the IDX images as PNG files laid out as ImageNet is: `train/<label>/train_<n>.png`
    /// with `train.txt`, and `test/test_<n>.png` with `test.txt` (`relative/path label` lines),
    /// plus `labels.txt`, so the image-folder road (prepare imageset, mean, the Data layer with
    /// crop and mirror) runs on real data. `limit` exports only the first images of each set.
    public static func exportImages(from source: URL = defaultSource, into directory: URL, limit: Int? = nil,
                                    progress: ((String) -> Void)? = nil) throws -> ExportSummary {
        let files = try sourceFiles(source)
        let fm = FileManager.default
        func write(_ data: Data, _ url: URL) throws {
            do { try data.write(to: url) } catch {
                throw DataError.fileSystem(path: url.path, problem: "cannot write it: \(error.localizedDescription)")
            }
        }
        func export(images: URL, labels: URL, set: String, byClass: Bool) throws -> Int {
            progress?("Writing \(set) images from \(images.lastPathComponent)")
            let pixels = try IDXFile.read(images, maxItems: limit)
            let classes = try IDXFile.read(labels, maxItems: limit)
            guard pixels.dims.count == 3, classes.itemCount >= pixels.itemCount else {
                throw DataError.idx(file: images.path, problem: "expected 3-D images with a label each")
            }
            let (rows, columns) = (pixels.dims[1], pixels.dims[2])
            let folder = directory.appendingPathComponent(set)
            for label in 0..<FashionMNIST.labels.count where byClass {
                try? fm.createDirectory(at: folder.appendingPathComponent("\(label)"), withIntermediateDirectories: true)
            }
            try? fm.createDirectory(at: folder, withIntermediateDirectories: true)
            let count = pixels.itemCount
            var lines = [String](repeating: "", count: count)
            var failure: Error?
            let lock = NSLock()
            Parallel.forEach(count, work: count * 10_000) { i in
                let label = Int(classes.item(i).first ?? 0)
                let name = String(format: "%@_%05d.png", set, i)
                let relative = byClass ? "\(label)/\(name)" : name
                do {
                    let image = try Image(width: columns, height: rows, channels: 1, pixels: [UInt8](pixels.item(i)))
                    try write(try PNG.encode(image), folder.appendingPathComponent(relative))
                    lock.withLock { lines[i] = "\(relative) \(label)" }
                } catch {
                    lock.withLock { failure = failure ?? error }
                }
            }
            if let failure { throw failure }
            try write(Data((lines.joined(separator: "\n") + "\n").utf8), directory.appendingPathComponent("\(set).txt"))
            return count
        }
        do {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw DataError.fileSystem(path: directory.path, problem: "cannot create it: \(error.localizedDescription)")
        }
        let train = try export(images: files.trainImages, labels: files.trainLabels, set: "train", byClass: true)
        let test = try export(images: files.testImages, labels: files.testLabels, set: "test", byClass: false)
        try write(Data((labels.joined(separator: "\n") + "\n").utf8), directory.appendingPathComponent("labels.txt"))
        return ExportSummary(directory: directory.path, trainCount: train, testCount: test)
    }
}
