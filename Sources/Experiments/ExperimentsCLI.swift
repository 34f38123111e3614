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
        subcommands: [TrainCommand.self, ListCommand.self, PrepareCommand.self, TimeCommand.self, TestCommand.self, ClassifyCommand.self, CompareCommand.self, ResumeCommand.self, MeanCommand.self, ExportCommand.self, ImportCommand.self],
        defaultSubcommand: TrainCommand.self
    )

    /// Runs the command; an error from the library or Foundation reaches the user as
    /// `UserMessage` words, never as a raw `NSCocoaErrorDomain` code or a Swift case name.
    static func main() {
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch let error as ExitCode {
            exit(withError: error)
        } catch let error as CleanExit {
            exit(withError: error)
        } catch let error as ValidationError {
            exit(withError: error)
        } catch where exitCode(for: error) == .success {
            // `experiments help train` and `--help` after a verb: the parser's help, thrown by run.
            exit(withError: error)
        } catch {
            exit(withError: CLIError(UserMessage.describe(error)))
        }
    }

    /// Words the command reserves; a recipe may not be named like one of them.
    static var verbs: [String] {
        configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
    }
}
