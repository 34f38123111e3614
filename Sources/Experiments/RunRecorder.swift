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
    private let interactive: Bool
    /// Where terminal output goes (standard error; a test gives its own).
    private let terminal: (String) -> Void
    private var progressShown = false
    private var lastProgress = Date.distantPast
    /// The first output of the latest test pass, for the progress line.
    private var startIteration: Int?
    private var progressStart: Date?
    private var latestTest: (iteration: Int, name: String, value: Double)?
    let echo: Bool
    /// Where a run that a sweep started sends its progress (see `SweepChildReport`).
    var sweepReports: ((SweepChildReport) -> Void)?
    private var lastReport = Date.distantPast
    /// The first write to the run folder that failed (a full disk, say): the run stops on it,
    /// and nothing more is written to that file.
    private(set) var writeFailure: String?

    /// `interactive` says whether `terminal` is a terminal, which gets a live progress line and
    /// plain error messages; otherwise it gets the log's lines.
    init(folder: URL?, echo: Bool = true, interactive: Bool = isatty(STDERR_FILENO) != 0,
         terminal: @escaping (String) -> Void = { StandardError.write($0) }) throws {
        self.echo = echo
        self.interactive = interactive
        self.terminal = terminal
        if let folder {
            log = try Self.create(folder.appendingPathComponent("train.log"))
            let metrics = try Self.create(folder.appendingPathComponent("metrics.csv"))
            try metrics.write(contentsOf: Data("iteration,seconds,phase,name,value\n".utf8))
            self.metrics = metrics
            events = try EventsWriter(folder: folder)
        } else {
            log = nil
            metrics = nil
            events = nil
        }
    }

    /// Appends to one of the run's files unless a write has failed; FileHandle's `write(_:)`
    /// would trap on the error.
    private func append(_ text: String, to handle: FileHandle?, _ name: String) {
        guard let handle, writeFailure == nil else { return }
        do {
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            writeFailure = "cannot write \(name): \(UserMessage.describe(error))"
        }
    }

    private static func create(_ url: URL) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CLIError("cannot create \(url.path); check that the results folder is writable")
        }
        return try FileHandle(forWritingTo: url)
    }

    /// The per-display lines (iteration, loss, outputs, learning rate) that the live progress
    /// line stands for on a terminal; train.log keeps them all.
    static let routineSources: Set<String> = ["solver.cpp:218", "solver.cpp:237", "sgd_solver.cpp:138"]

    func log(_ message: String, source: String) { log(message, source: source, level: "I") }

    func log(_ message: String, source: String, level: Character) {
        let text = GlogFormat.lines(message, source: source, level: level)
        append(text, to: log, "train.log")
        guard echo, !(interactive && Self.routineSources.contains(source)) else { return }
        clearProgress()
        terminal(text)
    }

    /// The reason a run failed, at glog's error level in train.log; on standard error (always,
    /// even with --quiet) as the last thing printed, plainly on a terminal, as an `E` line in a log.
    func error(_ message: String, source: String) {
        let text = GlogFormat.lines(message, source: source, level: "E")
        append(text, to: log, "train.log")
        clearProgress()
        terminal(interactive ? "error: " + message + "\n" : text)
    }

    func metric(iteration: Int, phase: Phase, name: String, value: Double) {
        let seconds = Date().timeIntervalSince(start)
        let safeName = name.contains(",") ? "\"\(name)\"" : name
        append(String(format: "%d,%.3f,%@,%@,%.9g\n", iteration, seconds, phase.rawValue, safeName, value), to: metrics, "metrics.csv")
        do {
            if writeFailure == nil { try events?.scalar(tag: "\(phase.rawValue)/\(name)", value: value, step: iteration) }
        } catch {
            writeFailure = "cannot write the events file: \(UserMessage.describe(error))"
        }
        if phase == .test, latestTest.map({ $0.iteration != iteration || $0.name == name }) ?? true {
            latestTest = (iteration, name, value)
            sweepReports?(SweepChildReport(iteration: iteration, test: name, value: value))
        }
    }

    func progress(iteration: Int, of total: Int, loss: Float, imagesPerSecond: Double) {
        if let sweepReports, Date().timeIntervalSince(lastReport) > 0.5 || iteration == total {
            lastReport = Date()
            sweepReports(SweepChildReport(iteration: iteration, total: total, loss: loss))
        }
        guard interactive, echo else { return }
        // A resumed run starts part-way; its rate counts only this session's iterations.
        let now = Date()
        if startIteration == nil { (startIteration, progressStart) = (iteration - 1, now) }
        guard now.timeIntervalSince(lastProgress) > 0.25 || iteration == total else { return }
        lastProgress = now
        // Counted from the first iteration's end, not from set-up (data, compiling, weights).
        let elapsed = now.timeIntervalSince(progressStart ?? start)
        let rate = elapsed > 0 ? Double(iteration - 1 - (startIteration ?? 0)) / elapsed : 0
        let eta = rate > 0 ? Double(total - iteration) / rate : 0
        let width = 24
        let filled = total > 0 ? min(width, width * iteration / total) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let test = latestTest.map { String(format: "  %@ %.4f @%d", $0.name, $0.value, $0.iteration) } ?? ""
        let line = String(format: "\r[%@] %d/%d  loss %.4f%@  %.0f img/s  ETA %@ ", bar, iteration, total,
                          loss, test, imagesPerSecond, Self.duration(eta))
        terminal(line)
        progressShown = true
    }

    /// Records the run's settings for TensorBoard's HParams dashboard (see `HParamsSummary`).
    func hparamsStart(_ hparams: [(key: String, value: HParamsSummary.Value)], group: String) {
        try? events?.write(EventProto(wallTime: start.timeIntervalSince1970, step: 0,
                                      values: [HParamsSummary.sessionStart(hparams, group: group, startTime: start.timeIntervalSince1970)]))
    }

    func hparamsEnd(_ status: HParamsSummary.Status) {
        let now = Date().timeIntervalSince1970
        try? events?.write(EventProto(wallTime: now, step: 0, values: [HParamsSummary.sessionEnd(status, endTime: now)]))
    }

    func finish() {
        clearProgress()
        try? log?.synchronize()
        try? metrics?.synchronize()
        events?.flush()
    }

    private func clearProgress() {
        guard progressShown else { return }
        terminal("\r\u{1B}[K")
        progressShown = false
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}
