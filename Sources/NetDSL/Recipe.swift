/// An experiment: a net and how to train it. Put one conforming type in a file under Recipes/
/// and `experiments <name>` finds it; nothing else needs editing.
public protocol Recipe {
    init()
    /// The command-line name and results folder; by default the type name in lower case.
    static var name: String { get }
    /// One line for `experiments list`.
    static var summary: String { get }
    var net: Net { get }
    var solver: SolverPlan { get }
}

extension Recipe {
    public static var name: String { String(describing: Self.self).lowercased() }
    public static var summary: String { "" }
}
