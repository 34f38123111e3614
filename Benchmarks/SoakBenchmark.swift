import ArgumentParser
import Foundation
import NetDSL
import Runtime

/// A long LeNet run with its test passes and snapshots, watching the process for growth:
/// resident memory and open files at the milestones. Not a test: it takes minutes.
struct SoakBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Train LeNet on Fashion-MNIST for N iterations (testing and snapshotting) and report resident memory and open files at milestones.",
        discussion: "Run from the folder that holds data/fashion-mnist (made by `experiments prepare fashion-mnist` if missing).")

    @Option(help: "Iterations to train.") var iterations = 50_000
    @Option(help: "Iterations at which to report, comma-separated (the last iteration is always reported).") var at = "1000,10000,50000"
    @Option(help: "Test every this many iterations (the recipe's test_iter batches each).") var testEvery = 1000
    @Option(help: "Snapshot every this many iterations.") var snapshotEvery = 5000
    @Option(help: "Growth of resident memory between the first milestone and the last beyond which it fails, in MiB.") var boundMib = 64
    @Option(help: "Threads for Crema's kernels and OpenBLAS (default: all cores).") var threads: Int?

    func run() throws {
        guard iterations > 0, testEvery >= 0, snapshotEvery >= 0 else { throw ValidationError("give positive --iterations and non-negative intervals") }
        var options = ComputeOptions()
        options.threads = threads
        options.repetitions = 1
        try options.apply(title: "soak: LeNet for \(iterations) iterations")
        let folder = URL(fileURLWithPath: "data/fashion-mnist")
        if !FashionMNIST.isPrepared(at: folder) { _ = try FashionMNIST.prepare(into: folder) }
        var (net, plan) = try recipeContents("lenet")
        plan.iterations = iterations
        plan.testEvery = testEvery
        plan.snapshotEvery = snapshotEvery
        plan.display = 0
        plan.seed = 1
        let snapshots = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: snapshots) }
        let milestones = Set(at.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } + [iterations])
        let watcher = Watcher(milestones: milestones)
        let trainer = try Trainer(spec: net, plan: plan, seed: 1, recipeName: "lenet", observer: watcher)
        trainer.snapshotter = { trainer in
            try Snapshot.write(trainer, to: snapshots.appendingPathComponent("lenet_iter_\(trainer.iteration)"))
        }
        let start = Date()
        let summary = try trainer.run()
        print(String(format: "trained %d iterations in %.0f s (%.0f images/s); final test accuracy %.4f",
                     summary.iterations, Date().timeIntervalSince(start), summary.imagesPerSecond, summary.finalTest["accuracy"] ?? .nan))
        print("| iteration | resident MiB | open files | seconds |")
        print("|---|---|---|---|")
        for r in watcher.readings {
            print(String(format: "| %d | %.1f | %d | %.0f |", r.iteration, r.residentMiB, r.openFiles, r.seconds))
        }
        guard let first = watcher.readings.first, let last = watcher.readings.last else { return }
        let growth = last.residentMiB - first.residentMiB
        print(String(format: "growth from iteration %d to %d: %.1f MiB resident (bound %d MiB), %d open files",
                     first.iteration, last.iteration, growth, boundMib, last.openFiles - first.openFiles))
        if growth > Double(boundMib) || last.openFiles > first.openFiles {
            throw ValidationError("the run grew beyond the bound")
        }
    }
}

/// Reads /proc/self at the milestones the trainer's progress passes.
private final class Watcher: TrainingObserver {
    struct Reading { var iteration: Int; var residentMiB: Double; var openFiles: Int; var seconds: Double }
    let milestones: Set<Int>
    var readings: [Reading] = []
    let start = Date()

    init(milestones: Set<Int>) { self.milestones = milestones }

    func log(_ message: String, source: String) {}
    func metric(iteration: Int, phase: Phase, name: String, value: Double) {}
    func progress(iteration: Int, of total: Int, loss: Float, imagesPerSecond: Double) {
        guard milestones.contains(iteration) else { return }
        readings.append(Reading(iteration: iteration, residentMiB: Self.residentMiB(), openFiles: Self.openFiles(),
                                seconds: Date().timeIntervalSince(start)))
    }

    static func residentMiB() -> Double {
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / Double(1 << 20)
    }

    static func openFiles() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
    }
}
