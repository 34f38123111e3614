import Foundation
import NetDSL
import Testing
@testable import Runtime

/// Caffe's published prototxt files and small hand-made ones, under Fixtures/caffe.
enum CaffeFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/caffe")

    static func path(_ relative: String) -> String { folder.appendingPathComponent(relative).path }

    static func text(_ relative: String) throws -> String {
        try String(contentsOfFile: path(relative), encoding: .utf8)
    }

    /// The 1-based line of the first line containing `fragment`, so tests name lines by content.
    static func line(of fragment: String, in relative: String) throws -> Int {
        let lines = try text(relative).components(separatedBy: "\n")
        return try #require(lines.firstIndex { $0.contains(fragment) }, "no '\(fragment)' in \(relative)") + 1
    }

    /// The importer's error for `body`, or nil with an issue recorded.
    static func importError(_ body: () throws -> Void) -> CaffeImportError? {
        do {
            try body()
            Issue.record("expected a CaffeImportError")
        } catch let error as CaffeImportError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    /// Data layers as Input layers of the shapes their databases would give (the databases are
    /// not here), so a net compiles; the rest is untouched.
    static func withInputs(_ net: NetSpec, _ shapes: (Phase?) -> [[Int]]) -> NetSpec {
        var net = net
        for i in net.layers.indices {
            if case .data = net.layers[i].kind {
                net.layers[i].kind = .input(InputParams(shapes: shapes(net.layers[i].phase)))
            }
        }
        return net
    }
}
