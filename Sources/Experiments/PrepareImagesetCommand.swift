import ArgumentParser
import Foundation
import Runtime

extension ResizeFilter: ExpressibleByArgument {}
extension DatabaseFormat: ExpressibleByArgument {}

/// Caffe's convert_imageset: an image folder and a list of `path label` lines to an LMDB.
struct PrepareImageset: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imageset",
        abstract: "Convert images listed in a `path label` file into an LMDB of Datum records (Caffe's convert_imageset).",
        discussion: """
            Each list line is `relative/path label` (split at the last space, so paths may hold
            spaces). The image file is ROOT + path, as in Caffe; when ROOT is a folder without a
            trailing '/', one is put between. Records are keyed %08d_<path> and hold pixels
            channels-first in BGR order (or the JPEG/PNG bytes with --encoded). Bad lines and
            images are reported with their line number and skipped (--strict stops at the first).
            OUT is written only when the conversion completes; an existing OUT is kept unless --force.
            """)

    @Argument(help: "Folder (or path prefix) the list's paths are relative to.")
    var root: String

    @Argument(help: "List file: one `relative/path label` per line.")
    var list: String

    @Argument(help: "The LMDB folder to write.")
    var out: String

    @Option(help: "Resize every image to WxH pixels (e.g. 256x256).")
    var resize: String?

    @Option(name: .customLong("resize-filter"), help: "linear (OpenCV's INTER_LINEAR, as Caffe) or area (averaging when shrinking).")
    var resizeFilter: ResizeFilter = .linear

    @Option(help: "The database to write: lmdb, or leveldb (Caffe's -backend; its older examples read LevelDB).")
    var backend: DatabaseFormat = .lmdb

    @Flag(help: "Shuffle the list before converting (deterministic for a given --seed).")
    var shuffle = false

    @Option(help: "Seed for --shuffle.")
    var seed: UInt64 = 0

    @Flag(help: "Store one grey channel (BT.601 luma) instead of three colour channels.")
    var gray = false

    @Flag(help: "Store JPEG/PNG bytes instead of raw pixels (the original file when it needs no change).")
    var encoded = false

    @Option(name: .customLong("encode-type"), help: "With --encoded: jpg or png for images that are re-encoded or of the other format (default: each file's own format).")
    var encodeType: String?

    @Flag(name: .customLong("check-size"), help: "Require every image to have the same size.")
    var checkSize = false

    @Flag(help: "Stop at the first bad line or image instead of skipping it.")
    var strict = false

    @Flag(help: "Replace OUT if it exists.")
    var force = false

    @Option(help: "Cores for decoding and resizing (default: all).")
    var threads: Int?

    @Flag(help: "No progress lines.")
    var quiet = false

    /// `WxH` as two positive sizes.
    static func parseSize(_ text: String) throws -> (width: Int, height: Int) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else {
            throw CLIError("--resize \(text): give WIDTHxHEIGHT with positive sizes, e.g. 256x256")
        }
        return (w, h)
    }

    func options() throws -> ImagesetOptions {
        var options = ImagesetOptions()
        if let resize {
            let size = try Self.parseSize(resize)
            options.resizeWidth = size.width
            options.resizeHeight = size.height
        }
        options.filter = resizeFilter
        options.backend = backend
        options.shuffle = shuffle
        options.seed = seed
        options.gray = gray
        options.encoded = encoded
        if let encodeType {
            guard let format = ImageFormat(name: encodeType) else {
                throw CLIError("--encode-type \(encodeType): use jpg or png")
            }
            guard encoded else { throw CLIError("--encode-type needs --encoded") }
            options.encodeType = format
        }
        options.checkSize = checkSize
        options.strict = strict
        options.force = force
        if let threads {
            guard threads > 0 else { throw CLIError("--threads must be at least 1") }
            options.threads = threads
        }
        return options
    }

    func run() throws {
        var options = try options()
        try ReplicaEdge.run { group in
            // Under mpirun every rank decodes and resizes its share; rank 0 writes the database.
            if threads == nil { options.threads = ReplicaEdge.threads(group) }
            let lead = (group?.rank ?? 0) == 0
            let meter = ProgressMeter(quiet: quiet || !lead)
            let summary = try ImagesetConverter.convert(
                root: root, list: URL(fileURLWithPath: list), output: URL(fileURLWithPath: out), options: options,
                replicas: group,
                progress: { meter.report($0) },
                skipped: { problem in
                    StandardError.write("Skipped \(problem)\n")
                })
            meter.finish()
            if lead { print(summary) }
        }
    }
}

/// Progress lines on stderr, at most one a second.
final class ProgressMeter {
    private let quiet: Bool
    private var last = Date.distantPast
    private var pending: String?

    init(quiet: Bool) { self.quiet = quiet }

    func report(_ p: ImagesetProgress) {
        line("images", done: p.processed, total: p.total, rate: p.imagesPerSecond, eta: p.etaSeconds,
             extra: p.skipped > 0 ? ", \(p.skipped) skipped" : "")
    }

    func report(_ p: MeanProgress) {
        line("records", done: p.processed, total: p.total, rate: p.recordsPerSecond, eta: p.etaSeconds, extra: "")
    }

    /// Writes the last line held back by the one-second limit.
    func finish() {
        if let pending, !quiet { StandardError.write(pending) }
        pending = nil
    }

    private func line(_ unit: String, done: Int, total: Int, rate: Double, eta: Double?, extra: String) {
        let percent = total > 0 ? 100 * Double(done) / Double(total) : 100
        let text = String(format: "Processed %d/%d %@ (%.1f%%), %.1f %@/s, ETA %@", done, total, unit, percent, rate, unit,
                          Self.clock(eta)) + extra + "\n"
        let now = Date()
        if now.timeIntervalSince(last) >= 1 {
            if !quiet { StandardError.write(text) }
            last = now
            pending = nil
        } else {
            pending = text
        }
    }

    static func clock(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
