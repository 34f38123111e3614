import Foundation

/// A training snapshot: `<base>.caffemodel` (weights, Caffe's format) and `<base>.solverstate`
/// (Caffe's SolverState plus what an exact resume needs).
public struct Snapshot {
    public var state: SolverState
    public var resume: ResumeState?
    public var weights: URL

    /// Writes the weights, then the state that points at them, each atomically.
    @discardableResult
    public static func write(_ trainer: Trainer, to base: URL) throws -> URL {
        let weights = base.appendingPathExtension("caffemodel")
        let stateURL = base.appendingPathExtension("solverstate")
        try Weights.write(trainer.trainGraph, to: weights)
        var state = SolverState(solver: trainer.solver, iteration: trainer.iteration,
                                learnedNet: weights.path)
        state.extra = try trainer.captureState().encoded()
        try SolverStateFile.write(state, to: stateURL)
        return weights
    }

    /// Reads a `.solverstate` and finds its weights (beside it when the stored path moved).
    public static func read(_ url: URL) throws -> Snapshot {
        let state = try SolverStateFile.read(from: url)
        var weights = URL(fileURLWithPath: state.learnedNet, relativeTo: url.deletingLastPathComponent())
        if !FileManager.default.fileExists(atPath: weights.path) {
            let beside = url.deletingLastPathComponent().appendingPathComponent(weights.lastPathComponent)
            if FileManager.default.fileExists(atPath: beside.path) { weights = beside }
        }
        let resume = state.extra.isEmpty ? nil : try ResumeState.decode(state.extra)
        return Snapshot(state: state, resume: resume, weights: weights)
    }

    /// Loads the weights, history and positions into a trainer built from the same recipe.
    public func restore(into trainer: Trainer) throws {
        guard FileManager.default.fileExists(atPath: weights.path) else {
            throw TrainingError.wrongSnapshot("its weights \(state.learnedNet) are missing; keep the .caffemodel beside the .solverstate")
        }
        try Weights.load(weights, into: trainer.trainGraph, strict: true)
        let resume = self.resume ?? ResumeState(
            recipe: trainer.recipeName, net: trainer.spec.name, seed: trainer.seed, dataBatches: [:],
            random: [:], parameters: trainer.store.parameters.map(\.key), recentLosses: [])
        try trainer.restore(iteration: state.iteration, history: state.history, state: resume)
    }
}
