import Foundation

/// What an exact resume needs beyond Caffe's SolverState: the seed, where each data layer is
/// in its database, and the random state of each layer that draws numbers (dropout).
/// Stored as JSON in the `.solverstate`'s `crema_state` field, which Caffe ignores.
public struct ResumeState: Codable, Equatable, Sendable {
    public var recipe: String
    public var net: String
    public var seed: UInt64
    /// Batches served so far, by "phase/layer" (e.g. "train/data").
    public var dataBatches: [String: Int]
    /// Generator states by "phase/layer".
    public var random: [String: RandomGenerator]
    /// Parameter keys in solver order, to catch a snapshot of a different net.
    public var parameters: [String]
    /// Losses in the display window (for `average_loss`), so displayed values match too.
    public var recentLosses: [Float]
    /// Processes that trained the run together (nil: one); a resume needs as many, since each
    /// read its own share of the data.
    public var replicas: Int? = nil
    /// The generator states of replicas 1, 2, ... by "phase/layer" (replica 0's are `random`).
    public var replicaRandom: [[String: RandomGenerator]]? = nil

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> ResumeState {
        try JSONDecoder().decode(ResumeState.self, from: data)
    }
}
