/// The processes that train one run together, data-parallel (MPI ranks, one per process):
/// each computes the gradients of its share of the batch, and the group averages them, so
/// every replica takes the same solver step. Every replica makes the same calls in the same
/// order; replica 0 writes the run's files.
public protocol ReplicaGroup: AnyObject {
    /// This process's place, `0 ..< size`.
    var rank: Int { get }
    var size: Int { get }
    /// Starts summing across the group, in place, the floats of each segment, then multiplies
    /// them by `scale`. The segments must not be touched until `finishSums` returns.
    func startSum(_ segments: [(pointer: UnsafeMutablePointer<Float>, count: Int)], scale: Float)
    /// Waits for every sum started; throws the first failure.
    func finishSums() throws
    /// Seconds spent summing since the last call, and resets the count (how much communication
    /// there was to hide behind the backward pass).
    func takeSumSeconds() -> Double
    /// The element-wise sum across the group, blocking (losses, test scores, stop requests).
    func sum(_ values: [Double]) throws -> [Double]
    /// Replaces `count` floats with replica 0's, blocking.
    func broadcast(_ pointer: UnsafeMutablePointer<Float>, count: Int) throws
    /// Replica 0's bytes, on every replica.
    func broadcast(_ bytes: [UInt8]) throws -> [UInt8]
    /// Every replica's bytes, in rank order, on replica 0; an empty list on the others.
    func gather(_ bytes: [UInt8]) throws -> [[UInt8]]
}

/// A replica group that could not do its part.
public struct ReplicaError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
