import Foundation
@testable import Experiments
@testable import Runtime

/// Shared set-up for tests that train on the real Fashion-MNIST.
enum TestData {
    static let available = FileManager.default.fileExists(
        atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
    private static let lock = NSLock()

    /// Converts Fashion-MNIST into data/fashion-mnist once per test process (tests in parallel
    /// would otherwise race to write the same folder).
    static func ensureFashionMNIST() throws {
        lock.lock()
        defer { lock.unlock() }
        let folder = URL(fileURLWithPath: "data/fashion-mnist")
        if !FashionMNIST.isPrepared(at: folder) { _ = try FashionMNIST.prepare(into: folder) }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("crema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs `experiments train` with these arguments, as the command line would.
    static func train(_ arguments: [String]) throws {
        guard var command = try ExperimentsCLI.parseAsRoot(["train"] + arguments) as? TrainCommand else {
            throw CLIError("arguments did not parse as a train command: \(arguments)")
        }
        try command.run()
    }
}
