import ArgumentParser
import Foundation
import NetDSL
import Recipes
import Runtime

/// `experiments import`: a Caffe net (and solver) prototxt written out as a Swift recipe.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write a Swift recipe from a Caffe net prototxt and its solver.",
        discussion: """
            Reads Caffe's net (train_val.prototxt) and solver and writes DIR/NAME.swift: a recipe in \
            the DSL for the same net and solver, with Caffe's layer names so that .caffemodel weights \
            load into it by name. Rebuild to use it: swift run -c release experiments <name>.

            To train a solver.prototxt as it stands, without Swift or a rebuild: \
            experiments train --solver SOLVER.prototxt.
            """)

    @Argument(help: ArgumentHelp("The net; may be left out with --solver, which names its net (given both, this net is written with the solver's settings).",
                                 valueName: "NET.prototxt"))
    var net: String?

    @Option(help: ArgumentHelp("The solver whose settings the recipe takes (and whose net, when NET.prototxt is left out).",
                               valueName: "SOLVER.prototxt"))
    var solver: String?

    @Option(help: "The recipe's Swift type name; its command name is this in lower case (default: the net's `name:` in CamelCase).")
    var name: String?

    @Option(help: ArgumentHelp("The folder to write NAME.swift into.", valueName: "DIR"))
    var output: String = "Recipes"

    @Flag(help: "Replace NAME.swift when it exists.")
    var force = false

    func run() throws {
        let result = try write()
        for note in result.notes { print("Note: \(note)") }
        print(result.message)
    }

    /// What `run` has to say: the importer's notes, then what was written and how to use it.
    struct Result {
        var notes: [String]
        var message: String
    }

    /// Reads the prototxts, writes the recipe file and says how to use it.
    func write() throws -> Result {
        let (source, notes) = try Self.recipe(net: net, solver: solver, typeName: name)
        let typeName = source.typeName
        guard RecipeSource.isValidTypeName(typeName) else {
            throw CLIError("'\(typeName)' cannot name a recipe type\(name == nil ? " (it comes from the net's name:)" : ""): pass --name with a name that starts with a capital letter, has only letters, digits and _, and is none of the DSL's own names (Net, Train, Test, Data, ...), e.g. --name MyNet")
        }
        let command = typeName.lowercased()
        if ExperimentsCLI.verbs.contains(command) {
            throw CLIError("the recipe would be called '\(command)', which is a command of experiments; pass --name to choose another name, e.g. --name My\(typeName)")
        }
        let folder = URL(fileURLWithPath: output, isDirectory: true)
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            guard output != "Recipes" else {
                throw CLIError("there is no Recipes/ folder here; run experiments import from the package's folder, or pass --output DIR")
            }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } else if !isDirectory.boolValue {
            throw CLIError("--output \(output) is a file, not a folder")
        }
        let file = folder.appendingPathComponent("\(typeName).swift")
        let shown = Self.displayPath(file.path)
        let exists = FileManager.default.fileExists(atPath: file.path)
        if exists && !force {
            throw CLIError("\(shown) exists already; pass --force to replace it, or --name to write a recipe of another name")
        }
        // Replacing a recipe's own file may keep its name; any other recipe's name may not be reused.
        if !(exists && force), let other = allRecipes.first(where: { $0.name == command || String(describing: $0) == typeName }) {
            throw CLIError("there is a recipe \(String(describing: other)) named '\(other.name)' already; pass --name to choose another name, e.g. --name Imported\(typeName)")
        }
        try writeAtomically(Foundation.Data(try source.text().utf8), to: file)

        var lines = ["Wrote \(shown) (recipe '\(command)'). Rebuild to use it: swift run -c release experiments \(command)"]
        if folder.standardizedFileURL.lastPathComponent != "Recipes" {
            lines.append("Recipes are found in the Recipes/ folder: move it there (or write it there with --output Recipes) to run it.")
        }
        if let solver {
            lines.append("To train the prototxt as it is, without a rebuild: experiments train --solver \(solver)")
        } else {
            lines.append("Its solver is a placeholder: import with --solver SOLVER.prototxt for Caffe's settings, or edit it.")
        }
        return Result(notes: notes, message: lines.joined(separator: "\n"))
    }

    /// The recipe for these prototxts, as `experiments import` writes it; `typeName` nil takes
    /// the net's name.
    static func recipe(net netPath: String?, solver solverPath: String?,
                       typeName: String?) throws -> (source: RecipeSource, notes: [String]) {
        let imported: CaffeImport
        switch (netPath, solverPath) {
        case (nil, nil):
            throw CLIError("give the net to import (NET.prototxt), or --solver SOLVER.prototxt, which names its net")
        case (let netPath?, nil):
            imported = try CaffeImport.load(net: netPath)
        case (nil, let solverPath?):
            imported = try CaffeImport.load(solver: solverPath)
        case (let netPath?, let solverPath?):
            var both = try CaffeImport.load(net: netPath)
            let plan = try CaffeImport.load(solver: solverPath)
            both.solver = plan.solver
            // The notes on the solver file itself; the net it names is not the one written.
            both.notes += plan.notes.filter { $0.hasPrefix(solverPath + ":") }
            imported = both
        }
        let files = [solverPath, netPath].compactMap { $0 }.map(displayPath)
        let source = RecipeSource.imported(typeName: typeName ?? RecipeSource.typeName(forNetName: imported.net.name),
                                           net: imported.net, solver: imported.solver, files: files, notes: imported.notes)
        return (source, imported.notes)
    }

    /// `path` relative to the current folder when it lies inside it, so written files do not
    /// depend on where the package sits.
    static func displayPath(_ path: String) -> String {
        let here = FileManager.default.currentDirectoryPath
        let full = URL(fileURLWithPath: path).standardizedFileURL.path
        return full.hasPrefix(here + "/") ? String(full.dropFirst(here.count + 1)) : path
    }
}
