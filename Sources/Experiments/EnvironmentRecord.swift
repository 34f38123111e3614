import Foundation
import Runtime

/// environment.json: what the run ran on, so results can be compared fairly.
struct EnvironmentRecord: Codable {
    var seed: Int64?
    var cpu: String?
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
    /// True when Crema chose OPENBLAS_CORETYPE (the user had not set it).
    var coretypeChosenByCrema: Bool

    static func current(seed: Int64? = nil) -> EnvironmentRecord {
        let info = ProcessInfo.processInfo
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return EnvironmentRecord(
            seed: seed, cpu: model,
            gitCommit: run("git", ["rev-parse", "HEAD"]),
            swiftVersion: compilerVersion,
            blasConfiguration: BLAS.configuration, blasCore: BLAS.coreName, blasThreads: BLAS.threads,
            threads: Parallel.threads, cores: info.activeProcessorCount, memoryBytes: info.physicalMemory,
            host: info.hostName, os: info.operatingSystemVersionString,
            openblasCoretype: BLAS.chosenCoreType ?? info.environment["OPENBLAS_CORETYPE"],
            coretypeChosenByCrema: BLAS.chosenCoreType != nil)
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
