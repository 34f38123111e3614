import Foundation

/// A training snapshot: `<base>.caffemodel` (weights, Caffe's format) and `<base>.solverstate`
/// (Caffe's SolverState plus what an exact resume needs).
public struct Snapshot {
    public var state: SolverState
    public var resume: ResumeState?
    public var weights: URL

    /// Writes the weights, then the state that points at them, each atomically.
    /// `learned_net` is written relative to `directory` when the weights are inside it (pass
    /// the folder Caffe would be started from, usually the current one), absolute otherwise.
    @discardableResult
    public static func write(_ trainer: Trainer, to base: URL, relativeTo directory: String? = nil) throws -> URL {
        let weights = base.appendingPathExtension("caffemodel")
        let stateURL = base.appendingPathExtension("solverstate")
        try Weights.write(trainer.trainGraph, to: weights)
        var state = SolverState(solver: trainer.solver, iteration: trainer.iteration,
                                learnedNet: directory.map { learnedNetPath(weights, from: $0) } ?? weights.standardizedFileURL.path)
        state.extra = try trainer.captureState().encoded()
        do {
            try SolverStateFile.write(state, to: stateURL)
        } catch {
            // Weights without their solver state cannot be resumed from; leaving them would make
            // this iteration look like the last snapshot when the one before it is.
            try? FileManager.default.removeItem(at: weights)
            throw error
        }
        return weights
    }

    /// `learned_net` as Caffe writes it from a relative `snapshot_prefix`: relative to
    /// `directory` (the current folder, where Caffe is started) when the weights are inside it (so Caffe, started from that folder as it
    /// is for its own snapshots, finds them, and so does everyone after the whole project is
    /// moved), absolute otherwise.
    static func learnedNetPath(_ weights: URL, from directory: String) -> String {
        let file = weights.standardizedFileURL.path
        let base = URL(fileURLWithPath: directory).standardizedFileURL.path
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return file.hasPrefix(prefix) ? String(file.dropFirst(prefix.count)) : file
    }

    /// Reads a `.solverstate` and finds its weights: at `learned_net` (relative to the current
    /// folder, as Caffe reads it), else beside the .solverstate under the same file name, which
    /// finds them after the run folder was moved.
    public static func read(_ url: URL) throws -> Snapshot {
        let state = try SolverStateFile.read(from: url)
        var weights = URL(fileURLWithPath: state.learnedNet)
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
