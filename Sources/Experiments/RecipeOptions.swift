import ArgumentParser
import Foundation
import NetDSL

/// The options every verb that runs a recipe shares: which recipe and how to override it.
struct RecipeOptions: ParsableArguments {
    @Argument(help: "The recipe to run (see `experiments list`).")
    var recipe: String

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
        let type = try RecipeCatalog.find(recipe)
        var (net, plan) = RecipeCatalog.contents(of: type)
        var overrides: [String] = []
        if let iterations {
            guard iterations >= 0 else { throw CLIError("--iterations must be 0 or more") }
            overrides.append("solver.max_iter=\(iterations)")
        }
        if let seed { overrides.append("solver.random_seed=\(seed)") }
        overrides += settings
        for assignment in overrides {
            do {
                try Overrides.apply(assignment, net: &net, solver: &plan)
            } catch let error as OverrideError {
                throw CLIError(error.message)
            }
        }
        return (type.name, net, plan, overrides)
    }
}
