// The header and summary `experiments import` gives the recipes it writes, kept here so that
// tests can write the same file without the command.

extension RecipeSource {
    /// The recipe `experiments import` writes for a Caffe net (and solver) read from `files`,
    /// with the importer's notes about settings it accepted but does not use.
    public static func imported(typeName: String, net: NetSpec, solver: SolverPlan?, files: [String],
                                notes: [String] = []) -> RecipeSource {
        let first = files.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? "a prototxt"
        var header = ["\(typeName): Caffe's net \"\(net.name)\", written by `experiments import` from"]
        header += files.map { "  " + $0 }
        header += ["Layer names are Caffe's, so .caffemodel weights load into it by name.",
                   "From here on it is a recipe like any other: edit it freely."]
        if !notes.isEmpty {
            header += ["", "Caffe settings the import accepted but that have no effect here:"]
            header += notes.map { "  " + $0 }
        }
        return RecipeSource(typeName: typeName, summary: "Caffe's \(net.name), imported from \(first)",
                            header: header, net: net, solver: solver)
    }
}
