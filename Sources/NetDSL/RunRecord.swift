import Foundation

/// A run folder's recipe.json: what ran, after every override (`SpecJSON` encodes it).
public struct RunRecord: Codable, Equatable, Sendable {
    public var recipe: String
    public var net: NetSpec
    public var solver: SolverPlan
    /// The `--set` assignments, in the order given.
    public var overrides: [String]
    /// The snapshot a resumed run continues from.
    public var parent: String?
    /// The weights a fine-tuning run started from.
    public var weights: String?
    /// The Caffe solver.prototxt a `--solver` run trained, instead of a recipe.
    public var solverFile: String?

    public init(recipe: String, net: NetSpec, solver: SolverPlan, overrides: [String],
                parent: String? = nil, weights: String? = nil, solverFile: String? = nil) {
        self.recipe = recipe
        self.net = net
        self.solver = solver
        self.overrides = overrides
        self.parent = parent
        self.weights = weights
        self.solverFile = solverFile
    }
}
