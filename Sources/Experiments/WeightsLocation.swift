import Foundation
import NetDSL
import Runtime

/// What `--weights` (and `export`) may point at: a `.caffemodel`, a run folder or its
/// `snapshots/` folder, the last two meaning the newest snapshot in it.
enum WeightsLocation {
    /// The `.caffemodel` that `path` names or holds.
    static func resolve(_ path: String) throws -> URL {
        // Symbolic links resolved: the log names the run the weights came from, not `latest`.
        let url = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw CLIError("\(path) not found; give a .caffemodel, a run folder (results/<recipe>/<run>) or its snapshots/ folder")
        }
        guard isFolder.boolValue else { return url }
        let isRun = FileManager.default.fileExists(atPath: url.appendingPathComponent("recipe.json").path)
        let snapshots = isRun ? url.appendingPathComponent("snapshots") : url
        guard let newest = newestSnapshot(in: snapshots) else {
            throw CLIError(isRun ? "\(path) is a run folder without snapshots (snapshots/*.caffemodel); train it for longer or give a .caffemodel"
                                 : "\(path) holds no .caffemodel; give a .caffemodel, a run folder or its snapshots/ folder")
        }
        return newest
    }

    /// The `.caffemodel` in `folder` with the highest `_iter_N`, or, without numbered ones, the
    /// one written last.
    static func newestSnapshot(in folder: URL) -> URL? {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".caffemodel") }
        let numbered = names.compactMap { name in iteration(of: name, suffix: ".caffemodel").map { ($0, name) } }
        if let newest = numbered.max(by: { $0.0 < $1.0 }) { return folder.appendingPathComponent(newest.1) }
        let dated = names.map { name -> (Date, String) in
            let attributes = try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)
            return ((attributes?[.modificationDate] as? Date) ?? .distantPast, name)
        }
        return dated.max { $0.0 < $1.0 }.map { folder.appendingPathComponent($0.1) }
    }

    /// N in a snapshot's file name `<prefix>_iter_N<suffix>`.
    static func iteration(of name: String, suffix: String) -> Int? {
        guard name.hasSuffix(suffix), let range = name.range(of: "_iter_", options: .backwards) else { return nil }
        return Int(name[range.upperBound...].dropLast(suffix.count))
    }

    /// `spec`'s TEST graph with every learnable layer's weights from `file` (test, classify,
    /// export), its parameters fixed when it is to run; weights missing for any layer are an
    /// error that names them, `recipe` and `file`.
    static func inferenceGraph(_ spec: NetSpec, weights file: URL, recipe: String, runs: Bool = true) throws -> Graph {
        let graph = try Compiler.compile(spec, for: .test, store: ParameterStore(seed: 1), options: try compileOptions())
        let report = try Weights.load(file, into: graph)
        if !report.initialised.isEmpty {
            throw CLIError("\(file.path) has no weights for \(report.initialised.joined(separator: ", ")) of \(recipe); is it a snapshot of another recipe?")
        }
        graph.parametersFixed = runs
        return graph
    }
}
