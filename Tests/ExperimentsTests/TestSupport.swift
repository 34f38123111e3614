import Foundation
import Testing
@testable import Experiments
@testable import Runtime

/// Every ExperimentsTests suite nests in this one, which runs them one at a time: they train
/// nets on both cores, change process-wide thread settings and start processes, none of which
/// should overlap.
@Suite(.serialized) enum ExperimentsSuite {}

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

    /// Runs the built `experiments` executable in its own process (so no other test shares its
    /// threads or BLAS settings) and waits for it.
    static func runExecutable(_ arguments: [String]) throws {
        guard let binary = executable else {
            throw CLIError("the experiments executable is not beside the tests")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CLIError("experiments \(arguments.joined(separator: " ")) exited with \(process.terminationStatus):\n"
                           + String(decoding: output.suffix(4000), as: UTF8.self))
        }
    }

    /// The `experiments` executable built beside the test bundle.
    static var executable: URL? {
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                          Bundle.main.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL]
        return candidates.map { $0.appendingPathComponent("experiments") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    static func waitFor(_ what: String, timeout: TimeInterval = 120, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { throw CLIError("timed out waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}
