import ArgumentParser
import Dispatch
import Foundation
import MPIReplicas
import NetDSL
import Recipes
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

    @Option(help: ArgumentHelp("Under mpirun: images per update across all processes, split between them (it must divide evenly); by default each process takes the recipe's batch, as Caffe's multi-GPU training does.",
                               valueName: "N"))
    var globalBatch: Int?

    @Option(help: "Sweeps: run every setting with this many seeds (the first is --seed, default 1).")
    var seeds: Int?

    @Option(help: ArgumentHelp("Sweeps: draw N settings at random from the --set lists and ranges (key=1..10, key=log:1e-4..1e-1) instead of running every combination; the same command draws the same settings.",
                               valueName: "N"))
    var sample: Int?

    @Option(help: ArgumentHelp("Sweeps: runs at a time (default: as many as the cores allow, each with cores/K threads).",
                               valueName: "K"))
    var parallel: Int?

    @Flag(help: "Sweeps: successive halving, stopping the runs whose first test output is not among the best third at each rung (test passes at the first test iteration times 1, 3, 9, ...).")
    var halving = false

    @Flag(help: "Sweeps: run a sweep of more than \(Sweep.runLimit) runs.")
    var yes = false

    /// Set by a sweep on the runs it starts: `<sweep id>/<run number>`.
    @Option(help: .hidden)
    var sweepRun: String?

    /// Set by a sweep: its process, whose end stops this run.
    @Option(help: .hidden)
    var sweepParent: Int32?

    /// Set by a sweep: the run folder's label (the settings that tell its runs apart).
    @Option(help: .hidden)
    var runLabel: String?

    /// Set by a sweep: each setting that tells its runs apart, `key=value`, for TensorBoard's
    /// HParams dashboard.
    @Option(help: .hidden)
    var hparam: [String] = []

    func run() throws {
        let distributed = ReplicaEdge.launched
        if options.solver == nil, let name = options.recipe, let experiment = RecipeCatalog.experiment(named: name) {
            if distributed { throw CLIError("experiment \(name) runs several runs, each in a process of its own; under mpirun, train one of its recipes") }
            try runExperiment(experiment)
            return
        }
        let sweep = try options.sweep(seeds: seeds, sample: sample)
        if sweep.isSweep {
            if distributed { throw CLIError("a sweep runs each of its runs in a process of its own; under mpirun, train one setting at a time") }
            try runSweep(sweep)
            return
        }
        try ReplicaEdge.run { try trainOne(replicas: $0) }
    }

    /// Trains one run, alone or as one replica of `replicas` (replica 0 writes the run folder).
    private func trainOne(replicas group: MPIReplicaGroup?) throws {
        let lead = (group?.rank ?? 0) == 0
        if halving {
            throw CLIError("--halving stops the worse runs of a sweep, but this is one run: give a setting several values (--set solver.base_lr=0.01,0.001)")
        }
        if parallel != nil {
            throw CLIError("--parallel runs the runs of a sweep side by side, but this is one run: give a setting several values (--set solver.base_lr=0.01,0.001) or --seeds N")
        }
        let child = sweepRun != nil
        // A sweep's run stops when the sweep asks (SIGTERM) or goes; Ctrl-C reaches the sweep,
        // which asks its runs in turn. Installed first, so no request is missed while setting up.
        let stop = StopSignal.install(child ? [SIGTERM] : [SIGINT, SIGTERM])
        let parent = sweepParent ?? getppid()
        if child {
            // The sweep reads this run's reports from a pipe; if the sweep goes, the run must
            // still reach its snapshot rather than die writing to it.
            signal(SIGPIPE, SIG_IGN)
        }
        var (name, net, resolvedPlan, overrides) = try options.resolve()
        if let globalBatch {
            let replicas = group?.size ?? 1
            guard globalBatch > 0, globalBatch % replicas == 0 else {
                throw CLIError("--global-batch \(globalBatch) does not split evenly between \(replicas) processes; give a multiple of \(replicas)")
            }
            let key = Overrides.key(of: \DataParams.batchSize, in: .train) ?? "data.train.batch_size"
            let setting = "\(key)=\(globalBatch / replicas)"
            (net, resolvedPlan) = try RecipeOptions.apply([setting], net: net, plan: resolvedPlan)
            overrides.append(setting)
        }
        var plan = resolvedPlan
        guard resume == nil || weights == nil else {
            throw CLIError("--resume and --weights cannot be used together: a resumed run takes its weights from the snapshot")
        }
        // A resumed run must draw the same numbers as the run it continues. Under mpirun rank 0
        // alone reads the snapshot (it lives in rank 0's run folder) and sends it to the others.
        let snapshot = lead ? try resume.map { try Snapshot.read(URL(fileURLWithPath: $0)) } : nil
        if let state = snapshot?.resume {
            if options.seed != nil, plan.seed != Int64(bitPattern: state.seed) {
                throw CLIError("--seed \(plan.seed) differs from the seed of the run being resumed (\(state.seed)); leave --seed out when resuming")
            }
            plan.seed = Int64(bitPattern: state.seed)
        }
        if plan.seed < 0 { plan.seed = Int64(UInt32.random(in: 0...UInt32.max)) }
        // Replicas draw from replica 0's seed.
        if let group, let agreed = Int64(String(decoding: try group.broadcast(Array(String(plan.seed).utf8)), as: UTF8.self)) {
            plan.seed = agreed
        }
        // Processes sharing a machine share its cores.
        try configureThreads(threads ?? group.map(ReplicaEdge.threads))
        let compile = try compileOptions()

        let folder = lead ? try RunFolder(results: URL(fileURLWithPath: results), recipe: name,
                                          label: runLabel ?? RunFolder.label(for: options.settings)) : nil
        folder?.holdSpaceForSummary()
        let recorder = try RunRecorder(folder: folder?.url, echo: lead && !quiet && !child)
        if child {
            recorder.sweepReports = { $0.send() }
            let hparams = hparam.map { setting -> (key: String, value: HParamsSummary.Value) in
                let key = String(setting.prefix { $0 != "=" }), value = String(setting.drop { $0 != "=" }.dropFirst())
                return (key, HParamsSummary.Value.typed(key: key, value: value))
            }
            // Seeds of one setting form one group in the dashboard.
            let group = hparam.filter { !$0.hasPrefix("seed=") }.joined(separator: " ")
            recorder.hparamsStart(hparams, group: group)
        }
        defer { recorder.finish() }
        try folder?.writeJSON(RunRecord(recipe: name, net: net, solver: plan, overrides: overrides,
                                       parent: resume.map { URL(fileURLWithPath: $0).standardizedFileURL.path },
                                       weights: weights,
                                       solverFile: options.solver.map { URL(fileURLWithPath: $0).standardizedFileURL.path }),
                             to: "recipe.json")
        // Sent once recipe.json is there: the sweep reads the run's test interval from it.
        if child, let folder { SweepChildReport(folder: folder.url.path).send() }
        var environment = EnvironmentRecord.current(seed: plan.seed, compile: compile)
        environment.sweep = sweepRun
        environment.replicas = group.map { ReplicaRecord(processes: $0.size, hosts: $0.hosts, mpiLibrary: $0.libraryPath) }
        try folder?.writeJSON(environment, to: "environment.json")
        if let folder { recorder.log("Run folder: \(folder.url.path)", source: "experiments.swift:1") }

        var status = RunStatus.failed
        var summary: TrainingSummary?
        var failure: String?
        var learning: LearningCheck.Verdict?
        defer {
            let record = SummaryRecord(status: status, summary: summary, error: failure, learning: learning)
            if child {
                switch status {
                case .finished: recorder.hparamsEnd(.success)
                case .failed: recorder.hparamsEnd(.failure)
                case .stopped: recorder.hparamsEnd(.unknown)
                }
            }
            try? folder?.writeSummary(record)
            environment.markFinished()
            try? folder?.writeJSON(environment, to: "environment.json")
        }
        do {
            if lead { try DataPreparation.prepareMissing(for: net) { recorder.log($0, source: "prepare.swift:1") } }
            // The others wait for the data replica 0 prepares (on one machine, the same files).
            _ = try group?.sum([0])
            let trainer = try Trainer(spec: net, plan: plan, seed: UInt64(bitPattern: plan.seed),
                                      recipeName: name, options: compile, replicas: group, observer: recorder)
            if let group {
                let hosts = Set(group.hosts).count
                recorder.log("Data-parallel training on \(group.size) processes\(hosts > 1 ? " on \(hosts) hosts" : ""), \(Parallel.threads) thread\(Parallel.threads == 1 ? "" : "s") each: global batch \(trainer.globalBatchSize) = \(group.size) x \(trainer.trainBatchSize)"
                             + (globalBatch == nil ? " (each process takes the recipe's batch, Caffe's multi-GPU rule; --global-batch N keeps a global batch)" : " (--global-batch)")
                             + "; learning rate \(String(format: "%g", plan.baseLR)) as set (the linear scaling rule would multiply it by \(group.size))",
                             source: "parallel.cpp:1")
            }
            if lead, let snapshot, let resume {
                try snapshot.restore(into: trainer)
                recorder.log("Resuming from \(resume) at iteration \(trainer.iteration)", source: "solver.cpp:464")
            }
            if lead, let weights {
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
            if let folder {
                var lastWritten = resume.map { URL(fileURLWithPath: $0) }
                trainer.snapshotter = { trainer in
                    let base = folder.snapshots.appendingPathComponent("\(prefix)_iter_\(trainer.iteration)")
                    do {
                        let weights = try Snapshot.write(trainer, to: base, relativeTo: FileManager.default.currentDirectoryPath)
                        lastWritten = base.appendingPathExtension("solverstate")
                        return weights
                    } catch {
                        let last = lastWritten.map { "the last complete snapshot, \($0.lastPathComponent), is intact: free space and resume from it with --resume \($0.path)" }
                            ?? "no earlier snapshot of this run was written"
                        throw CLIError("the snapshot of iteration \(trainer.iteration) was not written (\(UserMessage.describe(error))); \(last)")
                    }
                }
            }
            // Only a run that got as far as training becomes `latest`; one that failed to start
            // keeps its folder, with summary.json saying why.
            folder?.markLatest()
            let stopRequested = { stop.requested || (child && getppid() != parent) }
            // A run folder that can no longer be written (a full disk) stops the run too.
            trainer.shouldStop = { stopRequested() || recorder.writeFailure != nil }
            trainer.snapshotRequested = { stop.takeSnapshotRequest() }
            let finished = try trainer.run()
            if let failure = recorder.writeFailure {
                throw CLIError("\(failure); training stopped at iteration \(finished.iterations)")
            }
            summary = finished
            // A stop that came during the last test pass still leaves a finished run.
            status = stopRequested() && finished.iterations < plan.iterations ? .stopped : .finished
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
            recorder.log("Finished \(s.iterations) iterations in \(RunRecorder.duration(s.seconds)) (\(String(format: "%.0f", s.imagesPerSecond)) images/s); \(tests.joined(separator: ", ")).\(folder.map { " Run folder: \($0.url.path)" } ?? "")", source: "experiments.swift:3")
            if let learning, !learning.learnt {
                recorder.log("Warning: this run did not learn: " + learning.reasons.joined(separator: "; ")
                             + ". Check the learning rate (--set solver.base_lr=...), the labels and the data; summary.json records it.",
                             source: "experiments.swift:4", level: "W")
            }
        }
    }

    /// Runs the sweep's runs, each through this executable in its own process.
    private func runSweep(_ given: Sweep) throws {
        let (name, net, plan, source) = try options.base()
        try runSweep(given, name: name, source: source) { recipe in
            guard let recipe else { return (net, plan) }
            return RecipeCatalog.contents(of: try RecipeCatalog.find(recipe))
        }
    }

    /// Runs an experiment declared in Swift; `--set` and `--iterations` apply to all its runs.
    private func runExperiment(_ experiment: any Experiment.Type) throws {
        guard sample == nil else { throw CLIError("--sample draws from --set lists; experiment \(experiment.name) declares its runs in Swift") }
        let extra = try options.sweep(seeds: nil, sample: nil)
        if let axis = extra.axes.first(where: \.varies) {
            throw CLIError("--set \(axis.key) gives several values, but experiment \(experiment.name) declares its runs in Swift; give one value, which applies to every run")
        }
        var sweep = try RecipeCatalog.sweep(of: experiment, extra: extra.axes.compactMap { axis in
            if case .values(let values) = axis.domain, let value = values.first { return "\(axis.key)=\(value)" }
            return nil
        })
        if let seeds { sweep.seeds = seeds }
        sweep.firstSeed = options.seed
        try runSweep(sweep, name: experiment.name, source: []) { recipe in
            RecipeCatalog.contents(of: try RecipeCatalog.find(recipe ?? experiment.name))
        }
    }

    /// Checks every run of the sweep against its recipe, prepares their data, then runs them.
    private func runSweep(_ given: Sweep, name: String, source: [String],
                          recipe: (String?) throws -> (net: NetSpec, plan: SolverPlan)) throws {
        var sweep = given
        guard resume == nil else {
            throw CLIError("--resume continues one run; a sweep resumes by running the same command again (or `experiments resume results/<recipe>/sweeps/<id>`)")
        }
        guard sweepRun == nil else { throw CLIError("a sweep's run cannot itself be a sweep") }
        if sweep.seeds != nil, sweep.axes.contains(where: { $0.key == "solver.random_seed" })
            || (sweep.explicit ?? []).contains(where: { $0.settings.contains { $0.hasPrefix("solver.random_seed=") } }) {
            throw CLIError("--seeds gives each run its seed; leave solver.random_seed out (--seed S sets the first)")
        }
        try sweep.checkSize(confirmed: yes)
        let first = try recipe(sweep.explicit?.first?.recipe)
        // Runs that differ only in their settings should also draw the same numbers (fillers,
        // data order, dropout), and the same command should draw them again: a recipe that
        // leaves its seed to chance gets one from the sweep itself.
        if sweep.firstSeed == nil, sweep.seeds == nil, first.plan.seed < 0,
           !given.axes.contains(where: { $0.key == "solver.random_seed" }) {
            sweep.firstSeed = Int64(sweep.fingerprint % 1_000_000_007)
        }
        let runs = try sweep.runs()
        // Every run's settings are checked, and its data prepared, before any run starts: the
        // runs would otherwise each fail alone, or race to convert the same data.
        for run in runs {
            let base = try recipe(run.recipe)
            let (runNet, runPlan) = try RecipeOptions.apply(run.settings, net: base.net, plan: base.plan)
            if halving, runPlan.testEvery <= 0 || runPlan.testIterations <= 0 {
                throw CLIError("--halving judges runs at their test passes, but \(run.recipe ?? name) does not test; set solver.test_interval and solver.test_iter")
            }
            try DataPreparation.prepareMissing(for: runNet) { StandardError.write($0 + "\n") }
        }
        var shared: [String] = []
        // Resolved once, here: a run folder's newest snapshot would move as the runs write theirs.
        if let weights { shared += ["--weights", try WeightsLocation.resolve(weights).path] }
        if allowPartial { shared.append("--allow-partial") }
        let job = SweepJob(recipe: name, source: source, shared: shared, sweep: sweep, halving: halving)
        try SweepCommand.run(job, results: URL(fileURLWithPath: results), parallel: parallel, threads: threads, quiet: quiet)
    }
}

enum RunStatus: String, Codable { case finished, stopped, failed }

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

    static func install(_ stopping: [Int32] = [SIGINT, SIGTERM]) -> StopSignal {
        let signals = StopSignal()
        if !stopping.contains(SIGINT) { signal(SIGINT, SIG_IGN) }
        for number in stopping {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let again = signals.lock.withLock { () -> Bool in
                    defer { signals.stop = true }
                    return signals.stop
                }
                if again { exit(130) }
                StandardError.write("\nStopping after this iteration, with a snapshot (Ctrl-C again to stop at once)...\n")
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
