import Foundation
import NetDSL
import Runtime

/// Runs a sweep: each run in its own `experiments train` process (so each has its own thread
/// team and a crash ends only that run), `parallel` at a time with `threads` threads each,
/// recording every change in sweep.json so that the same command finishes an interrupted sweep.
final class SweepRunner {
    let job: SweepJob
    let results: URL
    let executable: URL
    let parallel: Int
    let threads: Int
    let interactive: Bool
    let terminal: (String) -> Void
    /// Asked between steps; true stops launching runs and asks the running ones to stop with a snapshot.
    var shouldStop: () -> Bool = { false }

    var folder: URL { results.appendingPathComponent(job.recipe).appendingPathComponent("sweeps").appendingPathComponent(job.id) }

    init(job: SweepJob, results: URL, executable: URL, parallel: Int, threads: Int,
         interactive: Bool = isatty(STDERR_FILENO) != 0,
         terminal: @escaping (String) -> Void = { StandardError.write($0) }) {
        self.job = job
        self.results = results
        self.executable = executable
        self.parallel = max(1, parallel)
        self.threads = max(1, threads)
        self.interactive = interactive
        self.terminal = terminal
    }

    /// Runs a sweep of `runs` runs on this machine's cores: `parallel` runs (default: one per
    /// core, or as many as `threads` per run allow) of cores/parallel threads each.
    static func shares(runs: Int, parallel: Int?, threads: Int?, cores: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> (parallel: Int, threads: Int) {
        if let parallel, parallel < 1 { throw CLIError("--parallel \(parallel): give 1 or more runs at a time") }
        if let threads, threads < 1 { throw CLIError("--threads \(threads): give 1 or more") }
        let k = parallel ?? max(1, min(runs, cores / (threads ?? 1)))
        return (k, threads ?? max(1, cores / k))
    }

    /// Runs what is not finished; returns the record as it ends.
    @discardableResult
    func run() throws -> SweepRecord {
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: folder.appendingPathComponent("logs"), withIntermediateDirectories: true)
            try fm.createDirectory(at: folder.appendingPathComponent("runs"), withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create the sweep folder \(folder.path): \(UserMessage.describe(error)); choose another with --results DIR")
        }
        let lock = try SweepLock(folder)
        defer { lock.release() }

        var record: SweepRecord
        if fm.fileExists(atPath: folder.appendingPathComponent("sweep.json").path) {
            record = try SweepRecord.read(folder)
            guard record.job == job else {
                throw CLIError("\(folder.path) holds another sweep (\(record.command)); move it aside or use another --results folder")
            }
            for i in record.runs.indices { settle(&record.runs[i]) }
            let counts = Dictionary(grouping: record.runs, by: \.status).mapValues(\.count)
            let final = (counts[.finished] ?? 0) + (counts[.halted] ?? 0)
            let resumable = record.runs.filter { ![.finished, .halted].contains($0.status) && snapshot(of: $0) != nil }.count
            say("Resuming sweep \(record.id) (\(record.runs.count) runs): \(counts[.finished] ?? 0) finished, "
                + (counts[.halted].map { "\($0) halted, " } ?? "")
                + "\(resumable) resume from their snapshots, \(record.runs.count - final - resumable) start")
        } else {
            record = SweepRecord(job: job, runs: try job.sweep.runs())
            try record.write(to: folder)
            say("Sweep \(record.id): \(record.runs.count) runs of \(job.recipe), \(parallel) at a time with \(threads) thread\(threads == 1 ? "" : "s") each; folder \(folder.path)")
        }
        markLatest()

        var waiting = record.runs.indices.filter { ![.finished, .halted].contains(record.runs[$0].status) }
        var active: [ActiveRun] = []
        let started = Date()
        var finishedHere = 0
        var stopping = false
        var lastLine = Date()
        var changed = false
        var lastSignal = Date()
        while (!stopping && !waiting.isEmpty) || !active.isEmpty {
            if !stopping, shouldStop() {
                stopping = true
                say("Stopping the sweep: the running runs stop with a snapshot; the same command finishes it")
                for run in active { run.process.terminate() }
                lastSignal = Date()
            } else if stopping, Date().timeIntervalSince(lastSignal) > 5 {
                // A run still setting up may not have its handler yet: ask again.
                for run in active where !run.done { run.process.terminate() }
                lastSignal = Date()
            }
            while !stopping, active.count < parallel, let next = waiting.first {
                waiting.removeFirst()
                active.append(try launch(&record, next))
                changed = true
            }
            if job.halving {
                for run in active where judge(run, in: &record) { changed = true }
            }
            for run in active where run.done {
                finish(run, in: &record)
                changed = true
                finishedHere += 1
                let entry = record.runs[run.index]
                let result = entry.finalTest.map { $0.sorted { $0.key < $1.key }.map { "\($0.key) \(CompareReport.number($0.value))" }.joined(separator: ", ") }
                say("run \(entry.number)/\(record.runs.count) \(entry.status.rawValue)"
                    + (entry.seconds.map { " in " + RunRecorder.duration($0) } ?? "")
                    + (result.map { ": " + $0 } ?? "")
                    + (entry.error.map { ": " + $0 } ?? "")
                    + " (\(progress(record, active: active.filter { !$0.done }, waiting: waiting.count, started: started, finishedHere: finishedHere)))")
            }
            active.removeAll { $0.done }
            // A run's folder is recorded as soon as it exists, so that a sweep killed now
            // resumes the run from the snapshots it writes there.
            for run in active {
                if let path = run.reportedFolder, adopt(path, into: &record.runs[run.index]) { changed = true }
            }
            if changed {
                try record.write(to: folder)
                changed = false
            }
            if interactive {
                line(progress(record, active: active, waiting: waiting.count, started: started, finishedHere: finishedHere, detail: true))
            } else if Date().timeIntervalSince(lastLine) > 60, !active.isEmpty {
                lastLine = Date()
                say(progress(record, active: active, waiting: waiting.count, started: started, finishedHere: finishedHere, detail: true))
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        record.updated = EnvironmentRecord.timestamp(Date())
        try record.write(to: folder)
        clearLine()
        return record
    }

    /// The newest complete snapshot (a `.solverstate` with its `.caffemodel`) of the run's
    /// attempts, the latest attempt first: one stopped before its first snapshot resumes from
    /// the attempt before.
    func snapshot(of run: SweepRecord.Run) -> URL? {
        let attempts = (run.folder.map { [$0] } ?? []) + (run.earlier ?? []).reversed()
        for name in attempts {
            let snapshots = results.appendingPathComponent(name).appendingPathComponent("snapshots")
            let names = (try? FileManager.default.contentsOfDirectory(atPath: snapshots.path)) ?? []
            let complete = names.compactMap { state -> (Int, URL)? in
                guard let n = WeightsLocation.iteration(of: state, suffix: ".solverstate"),
                      names.contains(String(state.dropLast(".solverstate".count)) + ".caffemodel") else { return nil }
                return (n, snapshots.appendingPathComponent(state))
            }
            if let newest = complete.max(by: { $0.0 < $1.0 }) { return newest.1 }
        }
        return nil
    }

    /// A run folder's summary.json, when it has a readable one.
    private static func summary(in folder: URL) -> RecordedRun.SummaryFile? {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("summary.json")) else { return nil }
        return try? SpecJSONDecoding.decoder().decode(RecordedRun.SummaryFile.self, from: data)
    }

    /// How a run recorded as going or stopped really ended, from its folder: a sweep killed
    /// between a run's end and its record would otherwise run it again.
    private func settle(_ entry: inout SweepRecord.Run) {
        guard [.running, .stopped].contains(entry.status), let name = entry.folder,
              let summary = Self.summary(in: results.appendingPathComponent(name)),
              summary.status == RunStatus.finished.rawValue else { return }
        entry.status = .finished
        entry.finalTest = summary.summary?.finalTest
        entry.seconds = summary.summary?.seconds
    }

    private func launch(_ record: inout SweepRecord, _ index: Int) throws -> ActiveRun {
        var entry = record.runs[index]
        let resume = snapshot(of: entry)
        // The seed names the folder only where it varies (--seeds).
        let seedLabel = job.sweep.seeds != nil ? entry.seed.map { ["seed=\($0)"] } ?? [] : []
        let label = RunFolder.label(for: record.varying(entry) + seedLabel)
        var arguments = ["train"] + (entry.recipe.map { [$0] } ?? job.source) + job.shared
            + ["--results", results.path, "--threads", String(threads), "--sweep-run", "\(record.id)/\(entry.number)",
                          "--sweep-parent", String(getpid()), "--run-label", label]
        arguments += entry.settings.flatMap { ["--set", $0] }
        arguments += (record.varying(entry) + seedLabel).flatMap { ["--hparam", $0] }
        if let seed = entry.seed { arguments += ["--seed", String(seed)] }
        if let resume { arguments += ["--resume", resume.path] }
        let logURL = folder.appendingPathComponent("logs").appendingPathComponent(String(format: "run-%03d.txt", entry.number))
        guard FileManager.default.createFile(atPath: logURL.path, contents: nil), let log = try? FileHandle(forWritingTo: logURL) else {
            throw CLIError("cannot write \(logURL.path); check that the results folder is writable")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        let active = ActiveRun(index: index, process: process, log: logURL, resumedFrom: resume)
        process.terminationHandler = { [weak active] _ in active?.exited() }
        do {
            try process.run()
        } catch {
            try? log.close()
            throw CLIError("cannot start \(executable.path) for run \(entry.number) of the sweep: \(UserMessage.describe(error))")
        }
        try? log.close()
        active.read(pipe.fileHandleForReading)
        entry.status = .running
        entry.error = nil
        record.runs[index] = entry
        say("run \(entry.number)/\(record.runs.count) " + (resume.map { "resumes from \($0.lastPathComponent)" } ?? "starts")
            + ": " + (record.varying(entry).isEmpty ? "the recipe's settings" : record.varying(entry).map(CompareReport.shortKey).joined(separator: " "))
            + (entry.seed.map { " seed \($0)" } ?? ""))
        return active
    }

    /// Reads how the run ended from its folder's summary.json (or, when it never got a folder,
    /// from what it printed).
    private func finish(_ run: ActiveRun, in record: inout SweepRecord) {
        var entry = record.runs[run.index]
        // Only asked once the process has exited (Foundation traps otherwise).
        let status = run.process.terminationStatus
        if let path = run.reportedFolder { adopt(path, into: &entry) }
        // Only this attempt's folder says how this attempt ended.
        if let summary = run.reportedFolder.flatMap({ Self.summary(in: URL(fileURLWithPath: $0)) }) {
            entry.status = SweepRunStatus(rawValue: summary.status ?? "") ?? .failed
            if run.halted, entry.status == .stopped { entry.status = .halted }
            entry.error = summary.error
            entry.finalTest = summary.summary?.finalTest
            entry.seconds = summary.summary?.seconds
        } else {
            entry.status = .failed
            let printed = ((try? String(contentsOf: run.log, encoding: .utf8)) ?? "")
                .split(separator: "\n").suffix(3).joined(separator: " ")
            let how = run.process.terminationReason == .uncaughtSignal ? "was killed by signal \(status)" : "exited with status \(status)"
            entry.error = printed.isEmpty ? "the run \(how) before writing its summary" : printed
        }
        record.runs[run.index] = entry
        if let name = entry.folder {
            let link = folder.appendingPathComponent("runs").appendingPathComponent(String(format: "%03d", entry.number))
            try? FileManager.default.removeItem(at: link)
            _ = symlink("../../../../" + name, link.path)
        }
    }

    /// Records the run's new rung scores and stops it when one is not among the best; true
    /// when the record changed.
    private func judge(_ run: ActiveRun, in record: inout SweepRecord) -> Bool {
        var changed = false
        for test in run.takeTests() where !run.halted {
            let halving = SuccessiveHalving()
            guard let interval = testInterval(of: run), halving.isRung(test.iteration, first: interval) else { continue }
            let rung = String(test.iteration)
            let others = record.runs.indices.filter { $0 != run.index }.compactMap { record.runs[$0].rungs?[rung] }
            record.runs[run.index].rungs = (record.runs[run.index].rungs ?? [:]).merging([rung: test.value]) { $1 }
            changed = true
            if !halving.continues(test.value, others: others, lowerIsBetter: CompareReport.lowerIsBetter(test.name)) {
                run.halt()
                say("run \(record.runs[run.index].number)/\(record.runs.count) halted at iteration \(test.iteration): test \(test.name) \(CompareReport.number(test.value)) is not among the best \(max(1, (others.count + 1) / halving.rate)) of \(others.count + 1) at this rung")
            }
        }
        return changed
    }

    /// The run's solver.test_interval, from the recipe.json in its folder.
    private func testInterval(of run: ActiveRun) -> Int? {
        if let known = run.testInterval { return known }
        guard let path = run.reportedFolder,
              let data = try? Data(contentsOf: URL(fileURLWithPath: path).appendingPathComponent("recipe.json")),
              let recorded = try? SpecJSON.decoder().decode(RunRecord.self, from: data) else { return nil }
        run.testInterval = recorded.solver.testEvery
        return recorded.solver.testEvery
    }

    /// Makes `path` the run's folder, keeping the one before among its earlier attempts; true
    /// when that changed the record.
    @discardableResult
    private func adopt(_ path: String, into entry: inout SweepRecord.Run) -> Bool {
        let url = URL(fileURLWithPath: path)
        let name = url.deletingLastPathComponent().lastPathComponent + "/" + url.lastPathComponent
        guard entry.folder != name else { return false }
        if let old = entry.folder { entry.earlier = (entry.earlier ?? []) + [old] }
        entry.folder = name
        return true
    }

    private func progress(_ record: SweepRecord, active: [ActiveRun], waiting: Int, started: Date,
                          finishedHere: Int, detail: Bool = false) -> String {
        let done = record.runs.filter { [.finished, .failed, .halted].contains($0.status) }.count
        var parts = ["\(done)/\(record.runs.count) done"]
        if !active.isEmpty {
            let running = active.map { run -> String in
                let state = run.state()
                let number = record.runs[run.index].number
                guard detail, let iteration = state.iteration else { return "#\(number)" }
                return "#\(number) it \(iteration)" + (state.total.map { "/\($0)" } ?? "") + (state.loss.map { String(format: " loss %.4f", $0) } ?? "")
            }
            parts.append("\(active.count) running" + (detail ? " (" + running.joined(separator: ", ") + ")" : ""))
        }
        if waiting > 0 { parts.append("\(waiting) waiting") }
        // Runs' worth of work done this session, counting the running ones' fractions.
        let elapsed = Date().timeIntervalSince(started)
        let fractions = active.map { $0.state().fraction }
        let worked = Double(finishedHere) + fractions.reduce(0, +)
        let remaining = Double(waiting) + fractions.map { 1 - $0 }.reduce(0, +)
        if worked > 0.02, elapsed > 1, remaining > 0 {
            parts.append("ETA " + RunRecorder.duration(remaining / (worked / elapsed)))
        }
        return parts.joined(separator: ", ")
    }

    private func markLatest() {
        RunFolder.pointLatest(in: folder.deletingLastPathComponent(), at: job.id)
    }

    private var lineShown = false

    private func say(_ message: String) {
        clearLine()
        terminal(interactive ? message + "\n" : GlogFormat.lines(message, source: "sweep.swift:1", level: "I"))
    }

    private func line(_ text: String) {
        terminal("\r\u{1B}[K" + String(("sweep " + text).prefix(160)))
        lineShown = true
    }

    private func clearLine() {
        guard lineShown else { return }
        terminal("\r\u{1B}[K")
        lineShown = false
    }
}

/// One run's process, and what it has reported.
final class ActiveRun: @unchecked Sendable {
    let index: Int
    let process: Process
    let log: URL
    let resumedFrom: URL?
    private let lock = NSLock()
    private var folder: String?
    private var iteration: Int?
    private var firstIteration: Int?
    private var total: Int?
    private var loss: Float?
    private var hasExited = false
    private var readAll = false
    private var tests: [(iteration: Int, name: String, value: Double)] = []
    private var wasHalted = false

    init(index: Int, process: Process, log: URL, resumedFrom: URL?) {
        self.index = index
        self.process = process
        self.log = log
        self.resumedFrom = resumedFrom
    }

    /// Exited, and everything it wrote has been read.
    var done: Bool { lock.withLock { hasExited && readAll } }

    func exited() { lock.withLock { hasExited = true } }

    /// Reads the run's reports on a thread of their own until the pipe closes.
    func read(_ handle: FileHandle) {
        let thread = Thread { [self] in
            var buffer = Data()
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                buffer.append(data)
                for report in SweepChildReport.take(from: &buffer) { take(report) }
            }
            try? handle.close()
            lock.withLock { readAll = true }
        }
        thread.start()
    }

    private func take(_ report: SweepChildReport) {
        lock.withLock {
            if let f = report.folder { folder = f }
            if let i = report.iteration, report.test == nil {
                iteration = i
                if firstIteration == nil { firstIteration = i - 1 }
            }
            if let t = report.total { total = t }
            if let l = report.loss { loss = l }
            if let name = report.test, let value = report.value, let i = report.iteration {
                tests.append((i, name, value))
            }
        }
    }

    /// The test passes reported since the last call.
    func takeTests() -> [(iteration: Int, name: String, value: Double)] {
        lock.withLock {
            defer { tests = [] }
            return tests
        }
    }

    /// The run's test interval, once read from its folder (by the sweep's thread only).
    var testInterval: Int?

    var halted: Bool { lock.withLock { wasHalted } }

    /// Stops the run for good, with a snapshot.
    func halt() {
        lock.withLock { wasHalted = true }
        process.terminate()
    }

    func state() -> (iteration: Int?, total: Int?, loss: Float?, fraction: Double) {
        lock.withLock {
            let fraction: Double
            if let iteration, let total, total > 0 {
                // This session's share of the run: a resumed run started part-way.
                let first = firstIteration ?? 0
                fraction = Double(iteration - first) / Double(max(1, total - first))
            } else {
                fraction = 0
            }
            return (iteration, total, loss, min(1, max(0, fraction)))
        }
    }

    /// The run folder the run reported, once it has.
    var reportedFolder: String? { lock.withLock { folder } }
}

/// An exclusive lock on a sweep folder, so that two processes never run the same sweep.
struct SweepLock {
    private let descriptor: Int32

    init(_ folder: URL) throws {
        let path = folder.appendingPathComponent(".lock").path
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CLIError("cannot open \(path): \(String(cString: strerror(errno))); check that the results folder is writable")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw CLIError("the sweep in \(folder.path) is being run by another process; wait for it, or stop it (Ctrl-C) and run this again")
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
