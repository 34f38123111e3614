import Foundation
import Testing
@testable import Experiments
@testable import Runtime
@testable import Recipes
import NetDSL

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
        guard let command = try ExperimentsCLI.parseAsRoot(["train"] + arguments) as? TrainCommand else {
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

    /// Runs a program to the end; its exit status and everything it printed (stdout and stderr).
    static func capture(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Debian's headless Chromium, installed with apt-get when it is missing; nil, after saying
    /// so, only where it cannot be installed (no root or sudo, or no reachable archive).
    static func chromium() throws -> URL? {
        let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        if let found = candidates.first(where: FileManager.default.isExecutableFile) { return URL(fileURLWithPath: found) }
        let root = getuid() == 0
        let apt = root ? ["apt-get"] : ["sudo", "-n", "apt-get"]
        let env = URL(fileURLWithPath: "/usr/bin/env")
        let install = apt + ["install", "-y", "-qq", "--no-install-recommends", "chromium"]
        var (status, output) = try capture(env, install, environment: ["DEBIAN_FRONTEND": "noninteractive"])
        if status != 0 {
            _ = try capture(env, apt + ["update", "-qq"], environment: ["DEBIAN_FRONTEND": "noninteractive"])
            (status, output) = try capture(env, install, environment: ["DEBIAN_FRONTEND": "noninteractive"])
        }
        guard status == 0, let found = candidates.first(where: FileManager.default.isExecutableFile) else {
            print("SKIPPED the browser check: Debian's chromium is not installed and apt-get could not install it:\n\(output.suffix(800))")
            return nil
        }
        return URL(fileURLWithPath: found)
    }

    /// Open MPI's mpirun, installed with apt-get when it is missing (as Scripts/bootstrap.sh
    /// does); nil, after saying so, only where it cannot be installed.
    static func mpirun() throws -> URL? {
        let path = "/usr/bin/mpirun"
        if FileManager.default.isExecutableFile(atPath: path) { return URL(fileURLWithPath: path) }
        let apt = getuid() == 0 ? ["apt-get"] : ["sudo", "-n", "apt-get"]
        let env = URL(fileURLWithPath: "/usr/bin/env")
        let install = apt + ["install", "-y", "-qq", "--no-install-recommends", "openmpi-bin", "libopenmpi-dev"]
        var (status, output) = try capture(env, install, environment: ["DEBIAN_FRONTEND": "noninteractive"])
        if status != 0 {
            _ = try capture(env, apt + ["update", "-qq"], environment: ["DEBIAN_FRONTEND": "noninteractive"])
            (status, output) = try capture(env, install, environment: ["DEBIAN_FRONTEND": "noninteractive"])
        }
        guard status == 0, FileManager.default.isExecutableFile(atPath: path) else {
            print("SKIPPED the MPI check: Open MPI is not installed and apt-get could not install it:\n\(output.suffix(800))")
            return nil
        }
        return URL(fileURLWithPath: path)
    }

    /// mpirun's arguments for `ranks` processes on this machine, whatever its cores and user
    /// (CI runs as root on two cores).
    static func mpirunArguments(ranks: Int) -> [String] {
        ["--oversubscribe", "--bind-to", "none"] + (getuid() == 0 ? ["--allow-run-as-root"] : []) + ["-np", String(ranks)]
    }

    /// The python of a venv at `venv` where `imports` import (made and pip-installed with
    /// `packages` when they do not, cached across runs); nil, after saying so, only where pip
    /// cannot reach its registry.
    static func pythonVenv(_ venv: URL, imports: String, packages: [String], check: String) throws -> URL? {
        let python = venv.appendingPathComponent("bin/python")
        if FileManager.default.isExecutableFile(atPath: python.path),
           (try? capture(python, ["-c", "import \(imports)"]))?.0 == 0 {
            return python
        }
        let (made, madeOutput) = try capture(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-m", "venv", venv.path])
        try #require(made == 0, "python3 -m venv failed:\n\(madeOutput)")
        let (status, output) = try capture(venv.appendingPathComponent("bin/pip"),
                                           ["install", "--disable-pip-version-check"] + packages)
        if status != 0 {
            let offline = ["Failed to establish a new connection", "Temporary failure in name resolution",
                           "Network is unreachable", "No matching distribution found", "Could not find a version"]
            if offline.contains(where: output.contains) {
                print("SKIPPED the \(check) check: pip cannot reach its registry to install \(packages[0]):\n\(output.suffix(800))")
                return nil
            }
            Issue.record("pip install \(packages[0]) failed:\n\(output.suffix(4000))")
            return nil
        }
        return python
    }

    /// The first `count` Fashion-MNIST test records as PNG files in `folder`, and the same
    /// records preprocessed as LeNet's TEST data, as raw Float32 in `folder/inputs.f32`.
    static func leNetTestInputs(count: Int, in folder: URL) throws -> (paths: [String], inputs: URL) {
        let spec = LeNet.spec()
        guard let dataIndex = spec.dataLayerIndex(in: .test), case .data(let data) = spec.layers[dataIndex].kind else {
            throw CLIError("LeNet has no TEST data layer")
        }
        let transformer = try DataTransformer(params: data.transform, phase: .test, mean: nil)
        var random = RandomGenerator(seed: 0)
        let cursor = try LMDBReader(path: "data/fashion-mnist/test_lmdb").makeCursor()
        var paths: [String] = []
        var inputs = [Float](repeating: 0, count: count * 28 * 28)
        for i in 0..<count {
            let datum = try Caffe_Datum(record: try cursor.next().value)
            let url = folder.appendingPathComponent("item\(i).png")
            try PNG.encode(try Image(width: 28, height: 28, channels: 1, pixels: [UInt8](datum.data))).write(to: url)
            paths.append(url.path)
            try inputs.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                try transformer.transform(datum, into: base + i * 28 * 28, random: &random)
            }
        }
        let inputURL = folder.appendingPathComponent("inputs.f32")
        try inputs.withUnsafeBufferPointer { try Foundation.Data(buffer: $0).write(to: inputURL) }
        return (paths, inputURL)
    }

    static func waitFor(_ what: String, timeout: TimeInterval = 120, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { throw CLIError("timed out waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }
}
