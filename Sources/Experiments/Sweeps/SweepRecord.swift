import Foundation
import NetDSL
import Runtime

/// What a sweep runs: a recipe (or Caffe solver), the arguments all its runs share, and the
/// sweep itself. Two commands that give the same job are the same sweep.
struct SweepJob: Codable, Equatable {
    /// The results folder name, `results/<recipe>/`.
    var recipe: String
    /// What names the net for `train`: `["lenet"]` or `["--solver", PATH]`.
    var source: [String]
    /// Arguments every run gets as they are (`--weights`, `--allow-partial`).
    var shared: [String]
    var sweep: Sweep
    /// Stop the worse runs at rungs (`--halving`, see `SuccessiveHalving`).
    var halving = false

    /// `<varying keys>-<digest>`: readable, and the same for the same job.
    var id: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let digest = Sweep.fnv1a((try? encoder.encode(self)) ?? Foundation.Data())
        let keys = sweep.varyingKeys.map { $0.split(separator: ".").last.map(String.init) ?? $0 }
        var name = keys.joined(separator: "+")
        if let seeds = sweep.seeds { name += (name.isEmpty ? "" : "+") + "seeds\(seeds)" }
        if let sample = sweep.sample { name = "sample\(sample)-" + name }
        let safe = String(name.map { $0.isLetter || $0.isNumber || "._+-".contains($0) ? $0 : "_" }.prefix(60))
        return (safe.isEmpty ? "sweep" : safe) + "-" + String(format: "%08x", UInt32(truncatingIfNeeded: digest ^ (digest >> 32)))
    }

    /// The command that runs (and resumes) this sweep, for messages.
    var command: String {
        var words = ["experiments"] + source.map(Self.quoted) + shared.map(Self.quoted)
        if let explicit = sweep.explicit {
            // An experiment: its name, and the settings given to all its runs.
            words.append(Self.quoted(recipe))
            let common = explicit.dropFirst().reduce(explicit.first?.settings ?? []) { kept, run in kept.filter(run.settings.contains) }
            words += common.flatMap { ["--set", Self.quoted($0)] }
        }
        for axis in sweep.axes {
            let value: String
            switch axis.domain {
            case .values(let values):
                value = Overrides.kind(of: axis.key) == .list ? values.map { "[\($0)]" }.joined(separator: ",") : values.joined(separator: ",")
            case .range(let low, let high, let log, let integer):
                // Swift's shortest form reads back as the same Double.
                let f = { (x: Double) in integer && Swift.abs(x) <= 1e15 ? String(Int64(x)) : "\(x)" }
                value = (log ? "log:" : "") + f(low) + ".." + f(high)
            }
            words += ["--set", Self.quoted("\(axis.key)=\(value)")]
        }
        if let seeds = sweep.seeds { words += ["--seeds", String(seeds)] }
        if let seed = sweep.firstSeed { words += ["--seed", String(seed)] }
        if let sample = sweep.sample { words += ["--sample", String(sample)] }
        if halving { words.append("--halving") }
        if ((try? sweep.count()) ?? 0) > Sweep.runLimit { words.append("--yes") }
        return words.joined(separator: " ")
    }

    static func quoted(_ word: String) -> String {
        word.allSatisfy { $0.isLetter || $0.isNumber || "._-=/:,+@".contains($0) } ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// Where a run of a sweep stands.
enum SweepRunStatus: String, Codable {
    /// Not started yet.
    case waiting
    /// Started; a sweep that finds this on resuming was killed while the run went on.
    case running
    case finished
    /// Stopped before its last iteration (Ctrl-C, or the sweep was stopped); resumes from its snapshot.
    case stopped
    case failed
    /// Stopped for good by successive halving: its scores at a rung were not among the best.
    case halted
}

/// sweep.json: the job, and every run with its settings, status and folder.
struct SweepRecord: Codable {
    var id: String
    var job: SweepJob
    /// The command that runs it again, which finishes what is not finished.
    var command: String
    var created: String
    var updated: String
    var runs: [Run]

    struct Run: Codable {
        var number: Int
        /// Every `key=value` of the run, in the sweep's order.
        var settings: [String]
        var seed: Int64?
        /// The recipe of a run of a Swift `Experiment` (nil: the sweep's).
        var recipe: String? = nil
        var status: SweepRunStatus
        /// The run folder of the newest attempt, relative to the results folder (`lenet/<run>`).
        var folder: String?
        /// Folders of earlier attempts: stopped and resumed from their snapshots, or started over.
        var earlier: [String]? = nil
        var error: String? = nil
        var finalTest: [String: Double]? = nil
        var seconds: Double? = nil
        /// With halving: the run's score at each rung it reached, by iteration.
        var rungs: [String: Double]? = nil
    }

    /// A new record: every run waiting.
    init(job: SweepJob, runs: [Sweep.Run], date: Date = Date()) {
        id = job.id
        self.job = job
        command = job.command
        created = EnvironmentRecord.timestamp(date)
        updated = created
        self.runs = runs.enumerated().map {
            Run(number: $0.offset + 1, settings: $0.element.settings, seed: $0.element.seed, recipe: $0.element.recipe, status: .waiting)
        }
    }

    /// Reads `folder/sweep.json`, naming the file when it is not one.
    static func read(_ folder: URL) throws -> SweepRecord {
        let file = folder.appendingPathComponent("sweep.json")
        let data: Foundation.Data
        do {
            data = try Foundation.Data(contentsOf: file)
        } catch {
            throw CLIError("cannot read \(file.path): \(UserMessage.describe(error)); is \(folder.path) a sweep folder (results/<recipe>/sweeps/<id>)?")
        }
        do {
            return try SpecJSON.decoder().decode(SweepRecord.self, from: data)
        } catch {
            throw CLIError("\(file.path) is not a sweep record Crema can read: \(UserMessage.describe(error))")
        }
    }

    func write(to folder: URL) throws {
        try writeAtomically(try SpecJSON.encoder().encode(self), to: folder.appendingPathComponent("sweep.json"))
    }

    /// The settings that tell the runs apart (the axes with more than one value), `key=value`.
    func varying(_ run: Run) -> [String] {
        let keys = job.sweep.varyingKeys
        // An experiment's run may leave a key out that others set: "-" keeps the columns aligned.
        return keys.map { key in
            if key == "recipe", job.sweep.explicit != nil { return "recipe=\(run.recipe ?? job.recipe)" }
            return run.settings.last { $0.hasPrefix(key + "=") } ?? "\(key)=-"
        }
    }
}
