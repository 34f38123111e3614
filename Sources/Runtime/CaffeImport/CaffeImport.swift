import Foundation
import NetDSL

/// A Caffe net (and solver) read from prototxt as a Crema spec, for `experiments import` and
/// `experiments train --solver`.
///
/// The text is decoded with SwiftProtobuf over our caffe.proto; a scan of the same text gives
/// every field its line, so each setting Crema does not support (an unknown layer type, a field
/// or a value) is reported with its file and line, all of them at once, never dropped silently.
public struct CaffeImport {
    /// The net as a Crema spec (both phases, Caffe's include rules -> LayerSpec.phase), plus the
    /// solver plan when a solver was given. Paths in the solver (`net:`/`train_net:`) are resolved
    /// relative to the solver file's folder first, then the current directory, like Caffe users expect.
    public var net: NetSpec
    public var solver: SolverPlan?
    /// Things that were accepted but changed or ignored (e.g. `solver_mode: GPU` ignored, `engine: CUDNN` ignored), each naming file:line.
    public var notes: [String]

    /// Imports a net prototxt (train_val, train_test or deploy).
    public static func load(net netPath: String) throws -> CaffeImport {
        try parse(netText: readText(netPath), file: netPath)
    }

    /// Imports a solver prototxt and the net it names (`net`, or `train_net` + `test_net`, or an
    /// inline `net_param`).
    public static func load(solver solverPath: String) throws -> CaffeImport {
        try parse(solverText: readText(solverPath), file: solverPath)
    }

    /// Imports net text; `file` names it in messages.
    public static func parse(netText: String, file: String) throws -> CaffeImport {
        let (session, net) = convertNet(text: netText, file: file)
        guard session.problems.isEmpty, let net else { throw CaffeImportError(session.problems) }
        return CaffeImport(net: net, solver: nil, notes: session.notes)
    }

    /// Imports solver text; net paths in it are resolved against `file`'s folder.
    public static func parse(solverText: String, file: String) throws -> CaffeImport {
        let session = try scan(solverText, file: file)
        guard let message = ProtobufText.decode(Caffe_SolverParameter.self, text: solverText, session: session) else {
            throw CaffeImportError(session.problems)
        }
        let fields = session.fields(owner: "solver")
        let plan = SolverConversion.plan(message, fields)
        var loader = SolverNetLoader(solverFile: file, fields: fields)
        let net = loader.net(message, testing: plan.map { $0.testIterations > 0 } ?? false)
        session.reportUnread(owner: "solver")
        let sessions = [session] + loader.sessions
        let problems = sessions.flatMap(\.problems)
        guard problems.isEmpty, let net, let plan else {
            throw CaffeImportError(problems.isEmpty ? [.init(file: file, line: 1, message: "the solver cannot be imported")] : problems)
        }
        return CaffeImport(net: net, solver: plan, notes: sessions.flatMap(\.notes))
    }

    /// One net file's conversion; its problems and notes are in the session.
    static func convertNet(text: String, file: String) -> (ImportSession, NetSpec?) {
        let session: ImportSession
        do {
            session = try scan(text, file: file)
        } catch {
            let failed = ImportSession(file: file, roots: [])
            for problem in (error as? CaffeImportError)?.problems ?? [] { failed.problem(line: problem.line, problem.message) }
            return (failed, nil)
        }
        guard let message = ProtobufText.decode(Caffe_NetParameter.self, text: text, session: session) else {
            return (session, nil)
        }
        let net = NetConversion.convert(message, session.fields(owner: "net"), defaultName: stem(file))
        session.reportUnread(owner: "net '\(net.name)'")
        return (session, net)
    }

    static func scan(_ text: String, file: String) throws -> ImportSession {
        do {
            return ImportSession(file: file, roots: try PrototxtScanner.scan(text))
        } catch let error as PrototxtSyntaxError {
            throw CaffeImportError(file: file, line: error.line, error.message)
        }
    }

    static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw CaffeImportError(file: path, line: 0, exists ? "cannot be read" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CaffeImportError(file: path, line: 0, "is not UTF-8 text; a prototxt is Caffe's text format")
        }
        return text
    }

    /// The file name without folder and extension: the net's name when it gives none.
    static func stem(_ file: String) -> String {
        let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        return name.isEmpty ? "net" : name
    }
}
