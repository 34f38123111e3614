import ArgumentParser
import Foundation

/// `experiments`: trains, times and prepares data for the recipes under Recipes/.
@main
struct ExperimentsCLI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments",
        abstract: "Train, time and compare the nets described by the recipes in Recipes/, or by Caffe's prototxts.",
        discussion: """
            `experiments <recipe>` trains a recipe (e.g. `experiments lenet`) and records the run under \
            results/<recipe>/<run>/. `experiments list` shows the recipes.

            Caffe's prototxts: `experiments train --solver solver.prototxt` trains a Caffe solver and \
            its net as they are; `experiments import` writes them as a recipe under Recipes/ (rebuild \
            to use it).
            """,
        subcommands: [TrainCommand.self, ListCommand.self, PrepareCommand.self, TimeCommand.self, TestCommand.self, ClassifyCommand.self, CompareCommand.self, MeanCommand.self, ExportCommand.self, ImportCommand.self],
        defaultSubcommand: TrainCommand.self
    )

    /// Words the command reserves; a recipe may not be named like one of them.
    static var verbs: [String] {
        configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
    }
}
