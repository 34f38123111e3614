import ArgumentParser
import Dispatch
import Foundation
import NetDSL
import Runtime

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a recipe, or a Caffe solver.prototxt with --solver, and record the run (the default: `experiments lenet`).")

    @OptionGroup var options: RecipeOptions

    @Option(help: "Folder that holds the runs.")
    var results: String = "results"

    @Option(help: "Threads for the kernels and BLAS (default: all cores).")
    var threads: Int?

    @Flag(name: .shortAndLong, help: "Write the log to the run folder only.")
    var quiet = false

    @Option(help: ArgumentHelp("Continue a run from its snapshot (the .solverstate beside the .caffemodel).",
                               valueName: "PATH.solverstate"))
    var resume: String?

    @Option(help: ArgumentHelp("Start from these weights, matched by layer name (fine-tuning): a .caffemodel, or a run or snapshots folder (its newest snapshot).",
                               valueName: "PATH"))
    var weights: String?

    @Flag(help: "Train from --weights that match none of the net's layers (a warning, not an error).")
    var allowPartial = false

    func run() throws {
        let (name, net, resolvedPlan, overrides) = try options.resolve()
        var plan = resolvedPlan
        guard resume == nil || weights == nil else {
            throw CLIError("--resume and --weights cannot be used together: a resumed run takes its weights from the snapshot")
        }
        // A resumed run must draw the same numbers as the run it continues.
        let snapshot = try resume.map { try Snapshot.read(URL(fileURLWithPath: $0)) }
        if let state = snapshot?.resume {
            if options.seed != nil, plan.seed != Int64(bitPattern: state.seed) {
                throw CLIError("--seed \(plan.seed) differs from the seed of the run being resumed (\(state.seed)); leave --seed out when resuming")
            }
            plan.seed = Int64(bitPattern: state.seed)
        }
        if plan.seed < 0 { plan.seed = Int64(UInt32.random(in: 0...UInt32.max)) }
        try configureThreads(threads)
        let compile = try compileOptions()

        let folder = try RunFolder(results: URL(fileURLWithPath: results), recipe: name,
                                   label: RunFolder.label(for: options.settings))
        let recorder = try RunRecorder(folder: folder.url, echo: !quiet)
        defer { recorder.finish() }
        try folder.writeJSON(RunRecord(recipe: name, net: net, solver: plan, overrides: overrides,
                                       parent: resume.map { URL(fileURLWithPath: $0).standardizedFileURL.path },
                                       weights: weights,
                                       solverFile: options.solver.map { URL(fileURLWithPath: $0).standardizedFileURL.path }),
                             to: "recipe.json")
        var environment = EnvironmentRecord.current(seed: plan.seed, compile: compile)
        try folder.writeJSON(environment, to: "environment.json")
        recorder.log("Run folder: \(folder.url.path)", source: "experiments.swift:1")

        var status = RunStatus.failed
        var summary: TrainingSummary?
        var failure: String?
        var learning: LearningCheck.Verdict?
        defer {
            let record = SummaryRecord(status: status, summary: summary, error: failure, learning: learning)
            try? folder.writeJSON(record, to: "summary.json")
            environment.markFinished()
            try? folder.writeJSON(environment, to: "environment.json")
        }
        do {
            try DataPreparation.prepareMissing(for: net) { recorder.log($0, source: "prepare.swift:1") }
            let trainer = try Trainer(spec: net, plan: plan, seed: UInt64(bitPattern: plan.seed),
                                      recipeName: name, options: compile, observer: recorder)
            if let snapshot, let resume {
                try snapshot.restore(into: trainer)
                recorder.log("Resuming from \(resume) at iteration \(trainer.iteration)", source: "solver.cpp:464")
            }
            if let weights {
                let file = try WeightsLocation.resolve(weights)
                let report = try Weights.load(file, into: trainer.trainGraph)
                if report.loaded.isEmpty {
                    let message = "\(file.path) has weights for none of this net's \(report.initialised.count) learnable layers"
                        + (report.skipped.isEmpty ? "" : " (it has \(report.skipped.prefix(5).joined(separator: ", "))\(report.skipped.count > 5 ? ", ..." : ""))")
                    guard allowPartial else {
                        throw CLIError(message + "; is it for another net? Pass --allow-partial to train from the fillers anyway")
                    }
                    recorder.log("Warning: " + message + "; training from the fillers' values (--allow-partial)", source: "net.cpp:761", level: "W")
                }
                recorder.log("Copying weights from \(file.path): loaded \(report.loaded.count) of \(report.loaded.count + report.initialised.count) layers (\(report.loaded.joined(separator: ", ")))"
                    + (report.skipped.isEmpty ? "" : "; skipped (not in this net): \(report.skipped.joined(separator: ", "))")
                    + (report.initialised.isEmpty ? "" : "; newly initialised: \(report.initialised.joined(separator: ", "))"),
                    source: "net.cpp:761")
            }
            let prefix = URL(fileURLWithPath: plan.snapshotPrefix ?? name).lastPathComponent
            if let given = plan.snapshotPrefix, given.contains("/") {
                recorder.log("snapshot_prefix \"\(given)\": snapshots go to this run's snapshots/ folder as \(prefix)_iter_N.caffemodel and .solverstate; the folder part is not used, so that every run keeps its own",
                             source: "solver.cpp:461")
            }
            trainer.snapshotter = { trainer in
                let base = folder.snapshots.appendingPathComponent("\(prefix)_iter_\(trainer.iteration)")
                return try Snapshot.write(trainer, to: base, relativeTo: FileManager.default.currentDirectoryPath)
            }
            // Only a run that got as far as training becomes `latest`; one that failed to start
            // keeps its folder, with summary.json saying why.
            folder.markLatest()
            let stop = StopSignal.install()
            trainer.shouldStop = { stop.requested }
            trainer.snapshotRequested = { stop.takeSnapshotRequest() }
            let finished = try trainer.run()
            summary = finished
            status = stop.requested ? .stopped : .finished
            learning = LearningCheck.verdict(for: finished, classes: LearningCheck.accuracyOutputs(of: net, testGraph: trainer.testGraph),
                                             fromScratch: resume == nil && weights == nil && status == .finished)
        } catch {
            let message = UserMessage.describe(error)
            failure = message
            let advice = FailureAdvice.nextSteps(after: error, recipe: name, net: net)
            recorder.error("Training failed: " + message + (advice.map { "\n" + $0 } ?? ""), source: "experiments.swift:2")
            throw ExitCode.failure
        }
        if let s = summary {
            let tests = s.finalTest.sorted { $0.key < $1.key }.map { "\($0.key) = \(String(format: "%.4f", $0.value))" }
            recorder.log("Finished \(s.iterations) iterations in \(RunRecorder.duration(s.seconds)) (\(String(format: "%.0f", s.imagesPerSecond)) images/s); \(tests.joined(separator: ", ")). Run folder: \(folder.url.path)", source: "experiments.swift:3")
            if let learning, !learning.learnt {
                recorder.log("Warning: this run did not learn: " + learning.reasons.joined(separator: "; ")
                             + ". Check the learning rate (--set solver.base_lr=...), the labels and the data; summary.json records it.",
                             source: "experiments.swift:4", level: "W")
            }
        }
    }
}

enum RunStatus: String, Codable { case finished, stopped, failed }

/// recipe.json: what ran, after every override.
struct RunRecord: Codable {
    var recipe: String
    var net: NetSpec
    var solver: SolverPlan
    var overrides: [String]
    /// The snapshot a resumed run continues from.
    var parent: String?
    /// The weights a fine-tuning run started from.
    var weights: String?
    /// The Caffe solver.prototxt a `--solver` run trained, instead of a recipe.
    var solverFile: String? = nil
}

/// summary.json: how the run ended.
struct SummaryRecord: Codable {
    var status: RunStatus
    var summary: TrainingSummary?
    var error: String?
    /// Set when the run finished but shows no sign of having learnt (see `LearningCheck`).
    var learning: LearningCheck.Verdict? = nil
}

/// Ctrl-C (SIGINT) or SIGTERM asks the run to stop after the current iteration, with a
/// snapshot; a second one stops at once. SIGHUP writes a snapshot and carries on, as in Caffe.
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var stop = false
    private var snapshot = false
    private var sources: [DispatchSourceSignal] = []

    var requested: Bool { lock.withLock { stop } }

    /// True once per SIGHUP.
    func takeSnapshotRequest() -> Bool {
        lock.withLock {
            defer { snapshot = false }
            return snapshot
        }
    }

    static func install() -> StopSignal {
        let signals = StopSignal()
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let again = signals.lock.withLock { () -> Bool in
                    defer { signals.stop = true }
                    return signals.stop
                }
                if again { exit(130) }
                FileHandle.standardError.write(Data("\nStopping after this iteration, with a snapshot (Ctrl-C again to stop at once)...\n".utf8))
            }
            source.resume()
            signals.sources.append(source)
        }
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler { signals.lock.withLock { signals.snapshot = true } }
        hangup.resume()
        signals.sources.append(hangup)
        return signals
    }
}
