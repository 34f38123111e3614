import Foundation
import Testing

/// Recipe files that RecipeSource wrote, checked in beside these tests so that the compiler reads
/// them: the tests check that each is what the writer writes today and that it compiles back to
/// what it was written from.
enum CheckedIn {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    /// Set to 1 to write the files again instead of comparing them (after changing the writer).
    static let rewrite = ProcessInfo.processInfo.environment["CREMA_REWRITE_RECIPES"] == "1"

    /// Expects the checked-in file at `path` (relative to this folder) to be exactly `text`.
    static func expectFile(_ path: String, toBe text: String, _ howToRewrite: String,
                           sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let url = folder.appendingPathComponent(path)
        if rewrite {
            try Data(text.utf8).write(to: url, options: .atomic)
            return
        }
        let current = try String(contentsOf: url, encoding: .utf8)
        guard current != text else { return }
        let old = current.split(separator: "\n", omittingEmptySubsequences: false)
        let new = text.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<min(old.count, new.count)).first { old[$0] != new[$0] } ?? min(old.count, new.count)
        Issue.record("""
            \(path) is not what the writer writes today; first difference at line \(line + 1):
              checked in: \(line < old.count ? String(old[line]) : "<end of file>")
              written:    \(line < new.count ? String(new[line]) : "<end of file>")
            \(howToRewrite)
            """, sourceLocation: sourceLocation)
    }
}
