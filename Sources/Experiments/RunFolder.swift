import Foundation
import NetDSL
import Runtime

/// One run's record: `results/<recipe>/<run-id>/` with its spec, log, metrics and weights.
/// Runs are append-only; `results/<recipe>/latest` points at the newest.
final class RunFolder {
    let url: URL
    let recipeDirectory: URL
    var snapshots: URL { url.appendingPathComponent("snapshots") }

    /// Creates a new, uniquely named run folder under `results/<recipe>/`.
    init(results: URL, recipe: String, label: String, date: Date = Date()) throws {
        recipeDirectory = results.appendingPathComponent(recipe)
        let stamp = Self.stamp(date)
        let base = label.isEmpty ? stamp : "\(stamp)-\(label)"
        var candidate = recipeDirectory.appendingPathComponent(base)
        var n = 2
        let fm = FileManager.default
        do {
            try fm.createDirectory(at: recipeDirectory, withIntermediateDirectories: true)
        } catch {
            throw CLIError("cannot create the results folder \(recipeDirectory.path): \(UserMessage.describe(error)); choose another with --results DIR")
        }
        while true {
            do {
                // Creating without intermediates fails if it exists, so two runs never share one.
                try fm.createDirectory(at: candidate, withIntermediateDirectories: false)
                break
            } catch {
                guard fm.fileExists(atPath: candidate.path), n < 1000 else {
                    throw CLIError("cannot create the run folder \(candidate.path): \(UserMessage.describe(error))")
                }
                candidate = recipeDirectory.appendingPathComponent("\(base)-\(n)")
                n += 1
            }
        }
        url = candidate
        try fm.createDirectory(at: snapshots, withIntermediateDirectories: true)
    }

    static func stamp(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd'T'HH-mm-ss"
        return f.string(from: date)
    }

    /// A short, file-name-safe label from overrides, e.g. `base_lr0.001-max_iter500`.
    static func label(for overrides: [String]) -> String {
        let parts = overrides.map { o -> String in
            let key = o.split(separator: "=").first.map(String.init) ?? o
            let value = o.split(separator: "=", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
            let short = key.split(separator: ".").last.map(String.init) ?? key
            return short + (value.count <= 12 ? value : "")
        }
        let joined = parts.joined(separator: "-")
        let safe = joined.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" }
        return String(String(safe).prefix(60))
    }

    func write(_ data: Foundation.Data, to name: String) throws {
        try writeAtomically(data, to: url.appendingPathComponent(name))
    }

    func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
        try write(try SpecJSON.encoder().encode(value), to: name)
    }

    /// Space held from the run's start for summary.json, so that a run which filled the disk
    /// can still say how it ended.
    private var summarySpace: URL { url.appendingPathComponent(".summary-space") }

    func holdSpaceForSummary() {
        try? Foundation.Data(count: 16 << 10).write(to: summarySpace)
    }

    /// Writes summary.json, giving up the held space first if the disk is full.
    func writeSummary<T: Encodable>(_ value: T) throws {
        defer { try? FileManager.default.removeItem(at: summarySpace) }
        do {
            try writeJSON(value, to: "summary.json")
        } catch {
            try? FileManager.default.removeItem(at: summarySpace)
            try writeJSON(value, to: "summary.json")
        }
    }

    /// Points `latest` at this run (replacing the link atomically).
    func markLatest() {
        Self.pointLatest(in: recipeDirectory, at: url.lastPathComponent)
    }

    /// Makes `folder/latest` a link to `name`, replacing it atomically (a new link renamed over
    /// the old), so a reader never finds it missing.
    static func pointLatest(in folder: URL, at name: String) {
        let link = folder.appendingPathComponent("latest")
        let temporary = folder.appendingPathComponent(".latest-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: temporary)
        guard symlink(name, temporary.path) == 0 else { return }
        if rename(temporary.path, link.path) != 0 { unlink(temporary.path) }
    }
}
