import ArgumentParser
import Foundation
import NetDSL
import Runtime

/// The options every verb that runs a recipe shares: which recipe (or Caffe solver) and how to
/// override it.
struct RecipeOptions: ParsableArguments {
    @Argument(help: "The recipe to run (see `experiments list`); left out with --solver.")
    var recipe: String?

    @Option(help: ArgumentHelp(
        "Run a Caffe solver.prototxt and the net it names as they are, without a recipe or a rebuild. Runs are recorded under results/<net name>/, the net's `name:` in lower case.",
        valueName: "SOLVER.prototxt"))
    var solver: String?

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a setting by Caffe's field name, e.g. --set solver.base_lr=0.001 --set data.train.source=/mnt/train_lmdb (repeatable).",
        valueName: "key=value"))
    var settings: [String] = []

    @Option(help: "Train to this iteration (Caffe's max_iter).")
    var iterations: Int?

    @Option(help: "Random seed for fillers, data order and dropout (Caffe's random_seed).")
    var seed: Int64?

    /// The recipe's net and plan with every override applied, and the overrides as recorded.
    func resolve() throws -> (name: String, net: NetSpec, plan: SolverPlan, overrides: [String]) {
        let (name, net, plan) = try load()
        var overrides = try iterationSetting()
        if let seed { overrides.append("solver.random_seed=\(seed)") }
        overrides += settings
        let (resolvedNet, resolvedPlan) = try Self.apply(overrides, net: net, plan: plan)
        return (name, resolvedNet, resolvedPlan, overrides)
    }

    /// `net` and `plan` with `overrides` applied in order.
    static func apply(_ overrides: [String], net: NetSpec, plan: SolverPlan) throws -> (NetSpec, SolverPlan) {
        var (net, plan) = (net, plan)
        for assignment in overrides {
            do {
                try Overrides.apply(assignment, net: &net, solver: &plan)
            } catch let error as OverrideError {
                throw CLIError(error.message)
            }
        }
        return (net, plan)
    }

    private func iterationSetting() throws -> [String] {
        guard let iterations else { return [] }
        guard iterations >= 0 else { throw CLIError("--iterations must be 0 or more") }
        return ["solver.max_iter=\(iterations)"]
    }

    /// The sweep the settings describe (`--set key=a,b`, `--seeds`, `--sample`); one that is not
    /// `isSweep` is an ordinary run.
    func sweep(seeds: Int?, sample: Int?) throws -> Sweep {
        do {
            return try Sweep(settings: try iterationSetting() + settings, seeds: seeds, firstSeed: seed, sample: sample)
        } catch let error as SweepError {
            throw CLIError(error.message)
        }
    }

    /// The recipe (or solver) before overrides, and the words that name it to `train`.
    func base() throws -> (name: String, net: NetSpec, plan: SolverPlan, source: [String]) {
        let (name, net, plan) = try load()
        let source = solver.map { ["--solver", URL(fileURLWithPath: $0).standardizedFileURL.path] } ?? [name]
        return (name, net, plan, source)
    }

    /// The recipe, or the Caffe solver and its net, before overrides.
    private func load() throws -> (name: String, net: NetSpec, plan: SolverPlan) {
        switch (recipe, solver) {
        case (let recipe?, nil):
            let type = try RecipeCatalog.find(recipe)
            let (net, plan) = RecipeCatalog.contents(of: type)
            return (type.name, net, plan)
        case (nil, let solver?):
            let imported = try CaffeImport.load(solver: solver)
            for note in imported.notes {
                StandardError.write("Note: \(note)\n")
            }
            guard let plan = imported.solver else { throw CLIError("\(solver) holds no solver settings") }
            return (Self.runName(net: imported.net.name, solver: solver), imported.net, plan)
        case (nil, nil):
            throw CLIError("name a recipe (see `experiments list`), or pass --solver SOLVER.prototxt to run a Caffe solver")
        case (_?, _?):
            throw CLIError("give a recipe or --solver, not both: --solver runs the Caffe solver and the net it names instead of a recipe")
        }
    }

    /// The results folder name of a Caffe solver's runs: its net's name in lower case, or the
    /// solver file's name when the net has none.
    static func runName(net: String, solver: String) -> String {
        let base = net.isEmpty ? URL(fileURLWithPath: solver).deletingPathExtension().lastPathComponent : net
        let safe = base.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" }
        let name = String(safe).trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return name.isEmpty ? "solver" : name
    }
}
