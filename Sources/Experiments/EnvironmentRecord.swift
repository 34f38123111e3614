import Foundation
import Runtime

/// environment.json: what the run ran on, so results can be compared fairly.
struct EnvironmentRecord: Codable {
    var gitCommit: String?
    var swiftVersion: String?
    var blasConfiguration: String
    var blasCore: String
    var blasThreads: Int
    var threads: Int
    var cores: Int
    var memoryBytes: UInt64
    var host: String
    var os: String
    var openblasCoretype: String?

    static func current() -> EnvironmentRecord {
        let info = ProcessInfo.processInfo
        return EnvironmentRecord(
            gitCommit: run("git", ["rev-parse", "HEAD"]),
            swiftVersion: compilerVersion,
            blasConfiguration: BLAS.configuration, blasCore: BLAS.coreName, blasThreads: BLAS.threads,
            threads: Parallel.threads, cores: info.activeProcessorCount, memoryBytes: info.physicalMemory,
            host: info.hostName, os: info.operatingSystemVersionString,
            openblasCoretype: info.environment["OPENBLAS_CORETYPE"])
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

    private static func run(_ tool: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
