import Foundation
import NetDSL
import Runtime

/// Writes what a run reports: glog-prefixed lines to train.log and the terminal, every value
/// to metrics.csv and as a TensorBoard scalar (`<phase>/<name>`) to an events file, and a live
/// progress line when standard error is a terminal.
final class RunRecorder: TrainingObserver {
    private let log: FileHandle?
    private let metrics: FileHandle?
    private let events: EventsWriter?
    private let start = Date()
    private let interactive = isatty(STDERR_FILENO) != 0
    private var progressShown = false
    private var lastProgress = Date.distantPast
    let echo: Bool

    init(folder: URL?, echo: Bool = true) throws {
        self.echo = echo
        if let folder {
            log = try Self.create(folder.appendingPathComponent("train.log"))
            metrics = try Self.create(folder.appendingPathComponent("metrics.csv"))
            metrics?.write(Data("iteration,seconds,phase,name,value\n".utf8))
            events = try EventsWriter(folder: folder)
        } else {
            log = nil
            metrics = nil
            events = nil
        }
    }

    private static func create(_ url: URL) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CLIError("cannot create \(url.path); check that the results folder is writable")
        }
        return try FileHandle(forWritingTo: url)
    }

    func log(_ message: String, source: String) {
        let text = GlogFormat.lines(message, source: source)
        log?.write(Data(text.utf8))
        guard echo else { return }
        clearProgress()
        FileHandle.standardError.write(Data(text.utf8))
    }

    func metric(iteration: Int, phase: Phase, name: String, value: Double) {
        let seconds = Date().timeIntervalSince(start)
        let safeName = name.contains(",") ? "\"\(name)\"" : name
        metrics?.write(Data(String(format: "%d,%.3f,%@,%@,%.9g\n", iteration, seconds, phase.rawValue, safeName, value).utf8))
        try? events?.scalar(tag: "\(phase.rawValue)/\(name)", value: value, step: iteration)
    }

    func progress(iteration: Int, of total: Int, loss: Float, imagesPerSecond: Double) {
        guard interactive, echo else { return }
        let now = Date()
        guard now.timeIntervalSince(lastProgress) > 0.25 || iteration == total else { return }
        lastProgress = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(iteration) / elapsed : 0
        let eta = rate > 0 ? Double(total - iteration) / rate : 0
        let width = 24
        let filled = total > 0 ? min(width, width * iteration / total) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = String(format: "\r[%@] %d/%d  loss %.4f  %.0f img/s  ETA %@ ", bar, iteration, total,
                          loss, imagesPerSecond, Self.duration(eta))
        FileHandle.standardError.write(Data(line.utf8))
        progressShown = true
    }

    func finish() {
        clearProgress()
        try? log?.synchronize()
        try? metrics?.synchronize()
        events?.flush()
    }

    private func clearProgress() {
        guard progressShown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        progressShown = false
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}
