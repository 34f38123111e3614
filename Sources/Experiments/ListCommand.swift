import ArgumentParser
import NetDSL

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Show the recipes.")

    func run() throws {
        for problem in RecipeCatalog.clashes { print("error: \(problem)") }
        let recipes = RecipeCatalog.all
        let width = recipes.map { $0.name.count }.max() ?? 0
        for recipe in recipes {
            let plan = RecipeCatalog.contents(of: recipe).plan
            let name = recipe.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let text = recipe.summary.isEmpty ? String(describing: recipe) : recipe.summary
            print("\(name)  \(text) [\(plan.iterations) iterations]")
        }
        let experiments = RecipeCatalog.experiments
        if !experiments.isEmpty {
            print("\nExperiments (sweeps declared in Swift):")
            let width = experiments.map { $0.name.count }.max() ?? 0
            for experiment in experiments {
                let name = experiment.name.padding(toLength: width, withPad: " ", startingAt: 0)
                let runs = (try? RecipeCatalog.sweep(of: experiment, extra: []).runs().count).map { " [\($0) runs]" } ?? ""
                print("\(name)  \(experiment.summary.isEmpty ? String(describing: experiment) : experiment.summary)\(runs)")
            }
        }
    }
}
