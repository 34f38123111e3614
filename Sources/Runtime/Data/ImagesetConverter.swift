import Dispatch
import Foundation

/// One usable line of an image list (`relative/path label`).
public struct ImageListEntry: Equatable, Sendable {
    /// The line number in the list, from 1.
    public var line: Int
    public var path: String
    public var label: Int

    public init(line: Int, path: String, label: Int) {
        self.line = line
        self.path = path
        self.label = label
    }
}

/// A list line or image that was skipped, and why.
public struct ImagesetProblem: Error, Equatable, Sendable, Codable, CustomStringConvertible {
    public enum Kind: String, CaseIterable, Sendable, Codable {
        case badLine = "bad list line"
        case unreadable, truncated, corrupt, unsupported
        case invalid = "invalid image"
    }

    public var line: Int
    /// The path as the list gives it, when the line has one.
    public var path: String?
    public var kind: Kind
    public var message: String

    public init(line: Int, path: String?, kind: Kind, message: String) {
        self.line = line
        self.path = path
        self.kind = kind
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// Caffe's `convert_imageset` flags.
public struct ImagesetOptions: Equatable, Sendable {
    /// Both positive: resize every image to `resizeWidth` x `resizeHeight`; otherwise keep sizes.
    public var resizeWidth = 0
    public var resizeHeight = 0
    public var filter: ResizeFilter = .linear
    /// Shuffle the list (with `seed`) before converting; keys still number records in order.
    public var shuffle = false
    public var seed: UInt64 = 0
    /// One grey channel instead of three colour channels.
    public var gray = false
    /// Store JPEG/PNG bytes instead of raw pixels: the original file when it needs no change,
    /// otherwise re-encoded as `encodeType` (or the file's own format).
    public var encoded = false
    public var encodeType: ImageFormat?
    /// Every record must have the size of the first (a size mismatch is an error).
    public var checkSize = false
    /// Stop at the first bad line or image instead of skipping it.
    public var strict = false
    /// Replace an existing output.
    public var force = false
    /// Cores used for decoding and resizing.
    public var threads = Parallel.threads
    /// The database written (Caffe's `-backend`): LMDB, or LevelDB as older Caffe examples use.
    public var backend: DatabaseFormat = .lmdb

    public init() {}

    var resizes: Bool { resizeWidth > 0 && resizeHeight > 0 }
}

/// Where a conversion is.
public struct ImagesetProgress: Sendable {
    public var processed: Int
    public var total: Int
    public var written: Int
    public var skipped: Int
    public var bytes: Int
    public var seconds: Double

    public var imagesPerSecond: Double { seconds > 0 ? Double(processed) / seconds : 0 }
    /// Seconds left at the rate so far; nil before the first images.
    public var etaSeconds: Double? {
        guard processed > 0, imagesPerSecond > 0 else { return nil }
        return Double(total - processed) / imagesPerSecond
    }
}

/// What a conversion wrote.
public struct ImagesetSummary: Sendable, CustomStringConvertible {
    public var output: String
    /// Usable list lines (after bad lines were set aside).
    public var listed: Int
    public var written: Int
    public var skipped: [ImagesetProblem]
    /// Bytes of record values written.
    public var bytes: Int
    public var seconds: Double
    /// `[C, H, W]` when every record has it.
    public var shape: [Int]?

    public var imagesPerSecond: Double { seconds > 0 ? Double(written + skipped.count - badLines) / seconds : 0 }

    var badLines: Int { skipped.filter { $0.kind == .badLine }.count }

    /// Skipped lines and images by reason, in a fixed order.
    public var skippedByKind: [(kind: ImagesetProblem.Kind, count: Int)] {
        ImagesetProblem.Kind.allCases.compactMap { kind in
            let n = skipped.filter { $0.kind == kind }.count
            return n > 0 ? (kind, n) : nil
        }
    }

    public var description: String {
        let shapeText = shape.map { " of \($0.map(String.init).joined(separator: "x"))" } ?? " (sizes vary)"
        var text = "Wrote \(written) records\(shapeText) to \(output): "
            + String(format: "%.1f MB in %.1f s, %.1f images/s", Double(bytes) / 1e6, seconds, imagesPerSecond)
        if skipped.isEmpty {
            text += "; nothing skipped"
        } else {
            let reasons = skippedByKind.map { "\($0.count) \($0.kind.rawValue)" }.joined(separator: ", ")
            text += "; skipped \(skipped.count) (\(reasons))"
        }
        return text
    }
}

/// A conversion that cannot go on.
public enum ImagesetError: Error, CustomStringConvertible, LocalizedError, Equatable {
    case outputExists(path: String)
    case listUnreadable(path: String, reason: String)
    case invalidOptions(String)
    /// The first bad line or image under `--strict`.
    case badInput(ImagesetProblem)
    /// `--check-size`: an image whose size differs from the first record's.
    case sizeMismatch(line: Int, path: String, shape: [Int], firstLine: Int, firstShape: [Int])
    /// Every line or image was bad.
    case nothingWritten(list: String, skipped: [ImagesetProblem])

    public var description: String {
        switch self {
        case let .outputExists(path):
            return "\(path) already exists; pass --force to replace it"
        case let .listUnreadable(path, reason):
            return "cannot read the list \(path): \(reason)"
        case let .invalidOptions(problem):
            return problem
        case let .badInput(problem):
            return "\(problem) (--strict stops at the first bad line or image; leave it out to skip them)"
        case let .sizeMismatch(line, path, shape, firstLine, firstShape):
            return "line \(line): \(path) is \(Self.text(shape)) but line \(firstLine) is \(Self.text(firstShape)); --check-size needs one size (add --resize WxH)"
        case let .nothingWritten(list, skipped):
            let first = skipped.prefix(5).map { "  \($0)" }.joined(separator: "\n")
            return "no record written from \(list): all \(skipped.count) lines or images were bad, e.g.\n\(first)"
        }
    }

    public var errorDescription: String? { description }

    private static func text(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "x") }
}

/// Caffe's `convert_imageset`: a list of `path label` lines and a root folder to an LMDB of
/// Datum records keyed `%08d_<path>`, pixels channels-first in blue, green, red order (or the
/// JPEG/PNG bytes with `encoded`). Images are decoded and resized on all cores, in chunks
/// written in list order; bad lines and images are skipped and reported. The database is built
/// in a hidden sibling folder and renamed to the output only when complete.
public enum ImagesetConverter {
    /// The list's usable entries and its bad lines. Each line is `path label`: split at the last
    /// space or tab (so paths may contain spaces), as Caffe does; blank lines are ignored.
    public static func parseList(_ text: String) -> (entries: [ImageListEntry], problems: [ImagesetProblem]) {
        var entries: [ImageListEntry] = []
        var problems: [ImagesetProblem] = []
        var number = 0
        // By Character: "\r\n" is one Character in Swift, so splitting on "\n" would miss it.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            guard let gap = line.lastIndex(where: { $0 == " " || $0 == "\t" }) else {
                problems.append(ImagesetProblem(line: number, path: line, kind: .badLine,
                                                message: "'\(line)' has no label; lines are `relative/path label`"))
                continue
            }
            let path = line[..<gap].trimmingCharacters(in: .whitespaces)
            let labelText = String(line[line.index(after: gap)...])
            guard let label = Int32(labelText) else {
                problems.append(ImagesetProblem(line: number, path: path, kind: .badLine,
                                                message: "label '\(labelText)' of \(path) is not an integer"))
                continue
            }
            guard label >= 0 else {
                problems.append(ImagesetProblem(line: number, path: path, kind: .badLine,
                                                message: "label \(label) of \(path) is negative; labels count from 0"))
                continue
            }
            entries.append(ImageListEntry(line: number, path: path, label: Int(label)))
        }
        return (entries, problems)
    }

    /// The image file for a list path: `root + path`, as Caffe joins them, with a `/` put
    /// between when `root` is an existing folder that does not end in one. (A root that is not
    /// a folder is used as a prefix, as in Caffe.)
    public static func imagePath(root: String, path: String) -> String {
        if root.isEmpty || root.hasSuffix("/") || path.hasPrefix("/") { return root + path }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue {
            return root + "/" + path
        }
        return root + path
    }

    /// Converts the images `list` names under `root` into the LMDB at `output`. `progress` is
    /// called after each chunk; `skipped` for each bad line or image as it is met.
    ///
    /// With `replicas` (processes started together by mpirun), replica 0 reads the list and
    /// writes the database; every replica decodes and resizes its share of each chunk (every
    /// `size`-th image), and replica 0 writes them all in list order, so the database is the
    /// one a single process writes, byte for byte. Only replica 0 reports progress and skipped
    /// images; the others' summaries give the records written but not the problems.
    public static func convert(root: String, list: URL, output: URL, options: ImagesetOptions,
                               replicas: ReplicaGroup? = nil,
                               progress: ((ImagesetProgress) -> Void)? = nil,
                               skipped given: ((ImagesetProblem) -> Void)? = nil) throws -> ImagesetSummary {
        let start = Date()
        let output = output.standardizedFileURL
        let fm = FileManager.default
        let lead = (replicas?.rank ?? 0) == 0
        let report = lead ? given : nil
        if lead, fm.fileExists(atPath: output.path) && !options.force {
            throw ImagesetError.outputExists(path: output.path)
        }
        if (options.resizeWidth > 0) != (options.resizeHeight > 0) || options.resizeWidth < 0 || options.resizeHeight < 0 {
            throw ImagesetError.invalidOptions("resize to \(options.resizeWidth)x\(options.resizeHeight): give both sizes, positive")
        }
        if options.resizeWidth > 1 << 16 || options.resizeHeight > 1 << 16 {
            throw ImagesetError.invalidOptions("resize to \(options.resizeWidth)x\(options.resizeHeight): the limit is 65536 pixels a side")
        }
        var text = ""
        if lead {
            do {
                text = String(decoding: try Data(contentsOf: list), as: UTF8.self)
            } catch {
                let reason = fm.fileExists(atPath: list.path) ? error.localizedDescription : "the file does not exist"
                throw ImagesetError.listUnreadable(path: list.path, reason: reason)
            }
        }
        let threads = max(1, options.threads)
        var chunk = max(32, threads * 16) * (replicas?.size ?? 1)
        if let replicas {
            // Replica 0's list and chunk size, so that every replica walks the same chunks.
            let header = try replicas.broadcast(Array("\(chunk)\n\(text)".utf8))
            let received = String(decoding: header, as: UTF8.self)
            let firstLine = received.prefix { $0 != "\n" }
            chunk = Int(firstLine) ?? chunk
            text = String(received.dropFirst(firstLine.count + 1))
        }
        var (entries, problems) = parseList(text)
        if options.strict, let first = problems.first { throw ImagesetError.badInput(first) }
        problems.forEach { report?($0) }
        if options.shuffle {
            var random = RandomGenerator(seed: options.seed)
            entries.shuffle(using: &random)
        }

        let parent = output.deletingLastPathComponent()
        let name = output.lastPathComponent
        let work = parent.appendingPathComponent(".\(name).partial-\(getpid())")
        var finished = false
        var writer: RecordWriter?
        if lead {
            do {
                try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            } catch {
                throw DataError.fileSystem(path: parent.path, problem: "cannot create the output's folder: \(error.localizedDescription)")
            }
            removeAbandonedWork(in: parent, name: name)
            try? fm.removeItem(at: work)
        }
        defer { if lead && !finished { try? fm.removeItem(at: work) } }

        if lead {
            let perRecord = options.resizes ? options.resizeWidth * options.resizeHeight * (options.gray ? 1 : 3) + 64 : 256 << 10
            let (size, overflow) = entries.count.multipliedReportingOverflow(by: perRecord)
            writer = try RecordDatabases.create(options.backend, path: work.path, sizeHint: overflow ? Int.max : size / 4 * 5,
                                                keysInOrder: entries.count < 100_000_000)
        }
        var written = 0, bytes = 0
        var first: (line: Int, shape: [Int])?
        var commonShape = true
        // Chunk k + 1 is decoded on the other cores while chunk k is written.
        let ordered = entries
        let share = replicas.map { (rank: $0.rank, size: $0.size) } ?? (rank: 0, size: 1)
        func decode(_ range: Range<Int>) -> ChunkResults {
            let box = ChunkResults(range: range)
            guard !range.isEmpty else { return box }
            DispatchQueue.global().async(group: box.done) {
                let mine = Array(stride(from: range.lowerBound + share.rank, to: range.upperBound, by: share.size))
                box.results = process(entries: ordered, indices: mine, root: root, options: options, threads: threads)
            }
            return box
        }
        var next = decode(0..<min(entries.count, chunk))
        while !next.range.isEmpty {
            let current = next
            current.done.wait()
            let range = current.range
            next = decode(range.upperBound..<min(entries.count, range.upperBound + chunk))
            defer { next.done.wait() }  // never leave a chunk decoding behind a thrown error
            if let replicas {
                // Replica 0 writes; the others only decode and resize their shares.
                current.results = try ImagesetExchange.merge(current.results, range: range, across: replicas)
                guard lead else { continue }
            }
            for result in current.results {
                switch result {
                case .failure(let problem):
                    if options.strict { throw ImagesetError.badInput(problem) }
                    problems.append(problem)
                    report?(problem)
                case .success(let record):
                    if let first, record.shape != first.shape {
                        if options.checkSize {
                            throw ImagesetError.sizeMismatch(line: record.line, path: record.path, shape: record.shape,
                                                             firstLine: first.line, firstShape: first.shape)
                        }
                        commonShape = false
                    }
                    if first == nil { first = (record.line, record.shape) }
                    try writer?.put(key: record.key, value: record.value)
                    written += 1
                    bytes += record.value.count
                }
            }
            if written > 0 {
                // Transactions of about 128 MB: few commits, bounded memory.
                writer?.transactionSize = max(16, min(100_000, (128 << 20) / max(1, bytes / written)))
            }
            if lead { progress?(ImagesetProgress(processed: range.upperBound, total: entries.count, written: written,
                                       skipped: problems.count, bytes: bytes, seconds: Date().timeIntervalSince(start))) }
        }
        if lead {
            try writer?.close()
            guard written > 0 else { throw ImagesetError.nothingWritten(list: list.path, skipped: problems) }
            try moveIntoPlace(work, output, force: options.force)
        }
        finished = true
        // The others learn that the database is in place (or, by an abort, that it is not), and
        // how many records it holds.
        if let replicas { written = Int(try replicas.sum([lead ? Double(written) : 0])[0]) }
        return ImagesetSummary(output: output.path, listed: entries.count, written: written,
                               skipped: problems.sorted { $0.line < $1.line }, bytes: bytes,
                               seconds: Date().timeIntervalSince(start),
                               shape: commonShape ? first?.shape : nil)
    }

    /// One chunk's results, filled in on another thread; read them after `done.wait()`.
    final class ChunkResults: @unchecked Sendable {
        let range: Range<Int>
        let done = DispatchGroup()
        var results: [Result<Record, ImagesetProblem>] = []

        init(range: Range<Int>) { self.range = range }
    }

    /// A finished record.
    struct Record: Codable {
        var key: String
        var value: Data
        var shape: [Int]
        var line: Int
        var path: String
    }

    /// Converts `entries[range]` on `threads` cores; results in entry order.
    static func process(entries: [ImageListEntry], range: Range<Int>, root: String, options: ImagesetOptions,
                        threads: Int) -> [Result<Record, ImagesetProblem>] {
        process(entries: entries, indices: Array(range), root: root, options: options, threads: threads)
    }

    /// Converts the entries at `indices` (ascending) on `threads` cores; results in that order.
    static func process(entries: [ImageListEntry], indices: [Int], root: String, options: ImagesetOptions,
                        threads: Int) -> [Result<Record, ImagesetProblem>] {
        var results = [Result<Record, ImagesetProblem>?](repeating: nil, count: indices.count)
        let workers = max(1, min(threads, indices.count))
        results.withUnsafeMutableBufferPointer { buffer in
            guard let out = buffer.baseAddress else { return }
            let work = { (worker: Int) in
                // Strided so that each worker gets a share of every part of the chunk.
                for i in stride(from: worker, to: indices.count, by: workers) {
                    let index = indices[i]
                    out[i] = record(for: entries[index], index: index, root: root, options: options)
                }
            }
            if workers <= 1 {
                work(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: workers, execute: work)
            }
        }
        return results.map { $0 ?? .failure(ImagesetProblem(line: 0, path: nil, kind: .invalid, message: "not converted")) }
    }

    /// The record for one list entry, `index` being its place in conversion order.
    static func record(for entry: ImageListEntry, index: Int, root: String,
                       options: ImagesetOptions) -> Result<Record, ImagesetProblem> {
        let key = Caffe_Datum.key(index: index, name: entry.path)
        guard key.utf8.count <= 511 else {
            return .failure(ImagesetProblem(line: entry.line, path: entry.path, kind: .badLine,
                                            message: "the path is \(entry.path.utf8.count) bytes; LMDB keys (%08d_path) hold at most 511"))
        }
        let file = imagePath(root: root, path: entry.path)
        do {
            let bytes = try ImageDecoder.read(file: file)
            let decoded = try ImageDecoder.decode(bytes, source: file, grey: options.gray)
            var image = decoded
            let channels = options.gray ? 1 : 3
            if image.channels != channels { image = try image.converted(toChannels: channels) }
            if options.resizes {
                image = try image.resized(width: options.resizeWidth, height: options.resizeHeight, filter: options.filter)
            }
            var datum: Caffe_Datum
            if options.encoded {
                let format = ImageFormat(sniffing: bytes) ?? .png
                let target = options.encodeType ?? format
                // The file itself only where it decodes to these pixels: the size kept, and a grey
                // record only from a grey file (a colour file read as grey is re-encoded, as Caffe does).
                let greyFile = options.gray ? try ImageDecoder.decode(bytes, source: file).channels == 1 : true
                let unchanged = image.channels == decoded.channels && image.width == decoded.width && image.height == decoded.height
                    && greyFile
                datum = Caffe_Datum()
                if unchanged && target == format {
                    datum.data = bytes
                } else {
                    datum.data = target == .jpeg ? try JPEG.encode(image, quality: 95) : try PNG.encode(image)
                }
                datum.encoded = true
                datum.label = Int32(clamping: entry.label)
                datum.channels = Int32(image.channels)
                datum.height = Int32(image.height)
                datum.width = Int32(image.width)
            } else {
                datum = Caffe_Datum(channels: image.channels, height: image.height, width: image.width,
                                    bytes: image.caffeBytes(), label: entry.label)
            }
            let value = try datum.serializedData()
            return .success(Record(key: key, value: value, shape: image.shape, line: entry.line, path: entry.path))
        } catch let error as ImageError {
            let kind: ImagesetProblem.Kind
            switch error {
            case .unreadable: kind = .unreadable
            case .truncated: kind = .truncated
            case .corrupt: kind = .corrupt
            case .unsupported: kind = .unsupported
            case .invalid, .encoding: kind = .invalid
            }
            return .failure(ImagesetProblem(line: entry.line, path: entry.path, kind: kind, message: "\(error)"))
        } catch {
            return .failure(ImagesetProblem(line: entry.line, path: entry.path, kind: .invalid, message: "\(file): \(error)"))
        }
    }

    /// Renames the finished database to `target`, moving an existing one aside first (only
    /// reached with `force`) and removing it once the new one is in place.
    static func moveIntoPlace(_ work: URL, _ target: URL, force: Bool) throws {
        let fm = FileManager.default
        func failure(_ what: String) -> DataError {
            .fileSystem(path: target.path, problem: "\(what): \(String(cString: strerror(errno)))")
        }
        var old: URL?
        if fm.fileExists(atPath: target.path) {
            guard force else { throw ImagesetError.outputExists(path: target.path) }
            let aside = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).replaced-\(getpid())")
            try? fm.removeItem(at: aside)
            guard rename(target.path, aside.path) == 0 else { throw failure("cannot move the existing output aside") }
            old = aside
        }
        guard rename(work.path, target.path) == 0 else {
            let error = failure("cannot move the finished database into place")
            if let old { _ = rename(old.path, target.path) }
            throw error
        }
        if let old { try? fm.removeItem(at: old) }
    }

    /// Removes working folders left by conversions that were killed (their process is gone).
    static func removeAbandonedWork(in parent: URL, name: String) {
        let prefix = ".\(name).partial-"
        guard let items = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return }
        for item in items where item.hasPrefix(prefix) {
            guard let pid = Int32(item.dropFirst(prefix.count)), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(at: parent.appendingPathComponent(item))
            }
        }
    }
}
