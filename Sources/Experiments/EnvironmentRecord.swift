import Foundation
import Runtime

/// environment.json: what the run ran on, so results can be compared fairly.
struct EnvironmentRecord: Codable {
    var seed: Int64?
    /// When the run started and ended (ISO 8601, UTC); `finished` is written as the run ends.
    var started: String? = nil
    var finished: String? = nil
    var cpu: String?
    var gitCommit: String?
    /// The Swift compiler this binary was built with, at least to the minor version.
    var swiftVersion: String?
    /// `swift --version`'s first line, from the toolchain on PATH when the run started.
    var swiftToolchain: String? = nil
    var blasConfiguration: String
    var blasCore: String
    var blasThreads: Int
    var threads: Int
    var cores: Int
    var memoryBytes: UInt64
    var host: String
    var os: String
    var openblasCoretype: String?
    /// True when Crema chose OPENBLAS_CORETYPE (the user had not set it).
    var coretypeChosenByCrema: Bool
    /// The convolution engine large convolutions use (oneDNN with its version and threads, or
    /// im2col + BLAS), as chosen at run time or by CREMA_CONV_ENGINE.
    var convolutionEngine: String? = nil
    /// The OpenBLAS file opened (Debian's OpenMP build where installed).
    var blasLibrary: String? = nil
    /// The threads the kernels run on (libgomp's team shared with oneDNN and OpenBLAS).
    var threadPool: String? = nil
    /// `<sweep id>/<run number>` for a run that a sweep started.
    var sweep: String? = nil
    /// The processes that trained the run together under mpirun.
    var replicas: ReplicaRecord? = nil

    static func current(seed: Int64? = nil, compile: CompileOptions) -> EnvironmentRecord {
        let info = ProcessInfo.processInfo
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return EnvironmentRecord(
            seed: seed, started: timestamp(Date()), cpu: model,
            gitCommit: gitCommit(),
            swiftVersion: compilerVersion, swiftToolchain: toolchainVersion(),
            blasConfiguration: BLAS.configuration, blasCore: BLAS.coreName, blasThreads: BLAS.threads,
            threads: Parallel.threads, cores: info.activeProcessorCount, memoryBytes: info.physicalMemory,
            host: info.hostName, os: info.operatingSystemVersionString,
            openblasCoretype: BLAS.chosenCoreType ?? info.environment["OPENBLAS_CORETYPE"],
            coretypeChosenByCrema: BLAS.chosenCoreType != nil,
            convolutionEngine: ConvolutionEngine.summary(compile), blasLibrary: BLAS.libraryPath,
            threadPool: Parallel.poolDescription)
    }

    /// Records the end of the run.
    mutating func markFinished(at date: Date = Date()) { finished = Self.timestamp(date) }

    static func timestamp(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }

    /// `swift --version`'s first line, or nil where no `swift` is on PATH; given five seconds
    /// at most. Called as a run's record is made, before training starts.
    static func toolchainVersion() -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("swift") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        guard let path else { return nil }
        let process = Process()
        process.executableURL = path
        process.arguments = ["--version"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else { process.terminate(); return nil }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return output.split(separator: "\n").first { $0.contains("Swift version") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static var compilerVersion: String {
        #if compiler(>=6.3)
        "6.3 or later"
        #elseif compiler(>=6.0)
        "6.x"
        #else
        "5.x"
        #endif
    }

    /// The checked-out commit, read from .git without starting git (starting processes from a
    /// busy multi-threaded program is fragile in Foundation on Linux).
    static func gitCommit(in directory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) -> String? {
        var folder = directory.standardizedFileURL
        for _ in 0..<32 {
            let git = folder.appendingPathComponent(".git")
            if let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines) {
                guard head.hasPrefix("ref: ") else { return head }
                let ref = String(head.dropFirst(5))
                if let sha = try? String(contentsOf: git.appendingPathComponent(ref), encoding: .utf8) {
                    return sha.trimmingCharacters(in: .whitespacesAndNewlines)
                }
                let packed = (try? String(contentsOf: git.appendingPathComponent("packed-refs"), encoding: .utf8)) ?? ""
                for line in packed.split(separator: "\n") where line.hasSuffix(" " + ref) {
                    return String(line.prefix { $0 != " " })
                }
                return nil
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { break }
            folder = parent
        }
        return nil
    }
}

/// environment.json's record of a data-parallel run: how many processes, where.
struct ReplicaRecord: Codable {
    var processes: Int
    /// Each process's host, in rank order.
    var hosts: [String]
    var mpiLibrary: String
}
