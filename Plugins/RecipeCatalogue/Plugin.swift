import PackagePlugin

/// Writes `RecipeCatalogue.swift` for the Recipes target: one entry per type that conforms to
/// `Recipe`, so adding a recipe is adding a file and nothing else.
@main
struct RecipeCatalogue: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        guard let source = target as? SourceModuleTarget else { return [] }
        let inputs = source.sourceFiles(withSuffix: "swift").map(\.url)
        let output = context.pluginWorkDirectoryURL.appending(path: "RecipeCatalogue.swift")
        return [
            .buildCommand(
                displayName: "Cataloguing \(inputs.count) recipe files",
                executable: try context.tool(named: "RecipeCatalogueTool").url,
                arguments: [output.path()] + inputs.map { $0.path() },
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
