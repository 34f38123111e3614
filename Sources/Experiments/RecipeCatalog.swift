import Foundation
import NetDSL
import Recipes

/// Finds recipes by their command-line names.
enum RecipeCatalog {
    /// Every recipe, sorted by name.
    static var all: [any Recipe.Type] { allRecipes.sorted { $0.name < $1.name } }

    /// Names that clash with a verb or with another recipe, as messages; empty when all is well.
    static var clashes: [String] {
        var problems: [String] = []
        let verbs = Set(ExperimentsCLI.verbs)
        var seen: [String: String] = [:]
        let named = allRecipes.map { (name: $0.name, type: String(describing: $0), what: "recipe") }
            + allExperiments.map { (name: $0.name, type: String(describing: $0), what: "experiment") }
        for entry in named {
            if verbs.contains(entry.name) {
                problems.append("\(entry.what) \(entry.type) is named '\(entry.name)', which is also a command of experiments; declare another name in it: `static let name = \"my\(entry.name)\"`")
            }
            if let other = seen[entry.name] {
                problems.append("\(other) and \(entry.type) are both named '\(entry.name)'; declare `static let name = \"...\"` in one of them")
            }
            seen[entry.name] = entry.type
        }
        return problems
    }

    /// The recipe's net and plan (generic so the existential is opened once, here).
    static func contents<R: Recipe>(of recipe: R.Type) -> (net: NetSpec, plan: SolverPlan) {
        let instance = R()
        return (instance.net.spec, instance.solver)
    }

    /// Every experiment (sweep declared in Swift), sorted by name.
    static var experiments: [any Experiment.Type] { allExperiments.sorted { $0.name < $1.name } }

    /// The experiment of that name, if there is one.
    static func experiment(named name: String) -> (any Experiment.Type)? {
        allExperiments.first { $0.name == name.lowercased() }
    }

    /// The experiment's runs as a sweep (generic so the existential is opened once, here).
    static func sweep<E: Experiment>(of experiment: E.Type, extra: [String]) throws -> Sweep {
        do {
            return try Sweep(experiment: experiment, extra: extra)
        } catch let error as SweepError {
            throw CLIError(error.message)
        }
    }

    static func find(_ name: String) throws -> any Recipe.Type {
        let problems = clashes
        guard problems.isEmpty else { throw CLIError(problems.joined(separator: "\n")) }
        if let recipe = allRecipes.first(where: { $0.name == name.lowercased() }) { return recipe }
        let recipes = all.map { $0.name } + experiments.map { $0.name }
        var hint = Suggestions.didYouMean(name, among: recipes)
        if hint.isEmpty, let verb = Suggestions.closest(to: name, among: ExperimentsCLI.verbs).first {
            hint = " Did you mean the command '\(verb)' (experiments \(verb) --help)?"
        }
        throw CLIError("no recipe named '\(name)'.\(hint) Recipes: \(recipes.joined(separator: ", ")). Add one by creating a file under Recipes/ with a type that conforms to Recipe.")
    }
}

/// A command-line failure with a message that says what to do.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
