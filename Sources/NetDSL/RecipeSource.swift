/// A recipe written out as Swift source, as a person would write it in Recipes/: phase layers in
/// `Train { }` / `Test { }`, implicit chaining wherever the net allows it, the DSL's constructors
/// and modifiers, and numbers that read back exactly.
///
/// The written recipe describes the same net and plan: compiling it gives a `Net(...).spec` equal
/// to `RecipeSource.chained(net)` (which is `net` itself when `net` came from a recipe) and a
/// `SolverPlan` equal to `solver`.
public struct RecipeSource: Sendable {
    /// The Swift type; its lower-cased name is the recipe's command name.
    public var typeName: String
    /// The recipe's one line for `experiments list`.
    public var summary: String
    /// Comment lines for the top of the file (without `//`).
    public var header: [String]
    public var net: NetSpec
    /// Nil writes a placeholder plan, marked as such, for the user to fill in.
    public var solver: SolverPlan?

    public init(typeName: String, summary: String, header: [String] = [], net: NetSpec, solver: SolverPlan?) {
        self.typeName = typeName
        self.summary = summary
        self.header = header
        self.net = net
        self.solver = solver
    }

    /// The whole file.
    public func text() throws -> String {
        guard Self.isValidTypeName(typeName) else {
            throw RecipeSourceError("'\(typeName)' cannot name a recipe: use letters, digits and _, start with a capital letter, and avoid the DSL's own names (Net, Data, Test, ...)")
        }
        var lines = header.map { $0.isEmpty ? "//" : "// " + $0 }
        if !lines.isEmpty { lines.append("") }
        lines += ["import NetDSL", ""]
        if !summary.isEmpty { lines.append("/// \(summary)") }
        lines.append("struct \(typeName): Recipe {")
        if !summary.isEmpty { lines += ["    static let summary = \(SwiftLiteral.string(summary))", ""] }
        lines += ["    var net: Net {"]
        lines += netLines(indent: 8)
        lines += ["    }", "", "    var solver: SolverPlan {"]
        if let solver {
            lines += Self.source(of: solver, indent: 8)
        } else {
            lines += ["        // No solver.prototxt came with this net: these numbers are placeholders to replace.",
                      "        SolverPlan(baseLR: 0.01, iterations: 10_000)"]
        }
        lines += ["    }", "}"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `Net("name") { ... }`: consecutive layers of one phase share a scope; a blank line sets
    /// the data layers apart from the rest, and the losses and accuracies at the end.
    func netLines(indent: Int) -> [String] {
        let spec = Self.chained(net)
        let unnamed = Self.namesLeftOut(of: spec)
        let pad = String(repeating: " ", count: indent)
        var lines = [pad + "Net(\(SwiftLiteral.string(spec.name))) {"]
        let layers = spec.layers
        let firstBody = layers.firstIndex { !$0.kind.isSource } ?? layers.count
        let lastBody = layers.lastIndex { !$0.kind.endsChain }.map { $0 + 1 } ?? 0
        var i = 0
        while i < layers.count {
            let phase = layers[i].phase
            var end = i + 1
            while end < layers.count && layers[end].phase == phase && end != firstBody && end != lastBody {
                end += 1
            }
            if (i == firstBody && i > 0) || (i == lastBody && i > firstBody) { lines.append("") }
            let group = layers[i..<end].indices.map { Self.source(of: layers[$0], showName: !unnamed.contains($0)) }
            if let phase {
                let scope = phase == .train ? "Train" : "Test"
                let single = group.count == 1 ? group[0].lines(indent: 0) : []
                if single.count == 1 && indent + 4 + scope.count + 3 + single[0].count + 2 <= SourceLayout.width {
                    lines.append(pad + "    \(scope) { \(single[0]) }")
                } else {
                    lines.append(pad + "    \(scope) {")
                    lines += group.flatMap { $0.lines(indent: indent + 8) }
                    lines.append(pad + "    }")
                }
            } else {
                lines += group.flatMap { $0.lines(indent: indent + 4) }
            }
            i = end
        }
        lines.append(pad + "}")
        return lines
    }

    /// Names the DSL itself uses in recipes (each layer kind's, among them); a recipe type with
    /// one of them would hide it.
    static let reservedNames: Set<String> = Set(LayerKind.declarations.map { $0.typeName }).union([
        "Net", "Train", "Test", "Recipe", "SolverPlan", "LayerSpec", "ParamSpec", "Filler", "NetSpec",
        "Any", "Self", "Type", "Protocol", "String", "Float", "Int", "Int64", "Bool", "Array", "Optional",
    ])

    /// Whether `name` can be a recipe's type: an identifier starting with a capital letter that
    /// hides none of the DSL's names.
    public static func isValidTypeName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("A"..."Z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            && !reservedNames.contains(name)
    }

    /// A type name from a Caffe net's `name:`: words joined in CamelCase ("bvlc_googlenet" ->
    /// "BvlcGooglenet", "CaffeNet" stays); "Net" is prefixed where the result could not be a type.
    public static func typeName(forNetName netName: String) -> String {
        let words = netName.split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }
        var name = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        if name.isEmpty { return "ImportedNet" }
        if !isValidTypeName(name) { name = "Net" + name }
        return isValidTypeName(name) ? name : "ImportedNet"
    }
}

/// A recipe that cannot be written, saying what to change.
public struct RecipeSourceError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
