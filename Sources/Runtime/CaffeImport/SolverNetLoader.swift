import Foundation
import NetDSL

/// The net a solver names, as Caffe's Solver::InitTrainNet/InitTestNets choose it: exactly one
/// of `net`, `net_param`, `train_net`, `train_net_param` for training, and for testing a
/// `test_net`/`test_net_param` or else the generic `net`/`net_param`. Separate train and test
/// nets are merged into one spec with phases.
struct SolverNetLoader {
    let solverFile: String
    let fields: MessageFields
    /// Sessions of the net files read, for their problems and notes.
    private(set) var sessions: [ImportSession] = []

    init(solverFile: String, fields: MessageFields) {
        self.solverFile = solverFile
        self.fields = fields
    }

    mutating func net(_ p: Caffe_SolverParameter, testing: Bool) -> NetSpec? {
        for name in ["train_state", "test_state"] {
            for sf in fields.messages(name) {
                sf.markAllRead()
                fields.unsupported(sf.node, "Crema has no net stages or levels; remove it")
            }
        }
        let trainFields = ["net", "net_param", "train_net", "train_net_param"].filter(fields.has)
        guard let trainField = trainFields.first else {
            fields.problem(nil, "the solver names no net; add net: \"train_val.prototxt\"")
            return nil
        }
        if trainFields.count > 1 {
            fields.problem(fields.node(trainFields[1]), "names its net with both \(trainFields[0]) and \(trainFields[1]); Caffe takes one of net, net_param, train_net, train_net_param")
            return nil
        }
        let testFiles = fields.all("test_net"), testParams = fields.messages("test_net_param")
        if testFiles.count + testParams.count > 1 {
            fields.problem(testFiles.dropFirst().first ?? testParams.dropFirst().first?.node,
                           "names more than one test net; Crema tests one net, so keep one")
            return nil
        }

        let train: NetSpec?
        switch trainField {
        case "net": train = fileNet(p.net, node: fields.one("net"))
        case "train_net": train = fileNet(p.trainNet, node: fields.one("train_net"))
        case "net_param": train = inlineNet(p.netParam, fields.message("net_param"))
        default: train = inlineNet(p.trainNetParam, fields.message("train_net_param"))
        }
        let test: NetSpec?
        if let node = testFiles.first {
            test = fileNet(p.testNet[0], node: node)
        } else if let tf = testParams.first {
            test = inlineNet(p.testNetParam[0], tf)
        } else {
            let generic = trainField == "net" || trainField == "net_param"
            if testing && !generic {
                fields.problem(fields.node("test_iter"), "gives test_iter but no test net; add test_net: \"...\" or remove test_iter")
            }
            return train
        }
        guard let train, let test else { return nil }
        return NetConversion.merge(train: train, test: test)
    }

    private mutating func fileNet(_ path: String, node: PrototxtNode?) -> NetSpec? {
        guard let resolved = Self.resolve(path, solverFile: solverFile) else {
            fields.problem(node, "net file '\(path)' not found (looked beside the solver, in the current directory and in the solver's parent folders); fix the path")
            return nil
        }
        let text: String
        do {
            text = try CaffeImport.readText(resolved)
        } catch {
            fields.problem(node, "net file '\(resolved)': \(error)")
            return nil
        }
        let (session, net) = CaffeImport.convertNet(text: text, file: resolved)
        sessions.append(session)
        return net
    }

    private func inlineNet(_ message: Caffe_NetParameter, _ nf: MessageFields?) -> NetSpec? {
        guard let nf else { return nil }
        return NetConversion.convert(message, nf, defaultName: CaffeImport.stem(solverFile))
    }

    /// A net path from a solver: beside the solver first, then from the current directory (where
    /// Caffe resolves it), then from the solver's parent folders (a solver inside a Caffe checkout
    /// names its net from the checkout's root).
    static func resolve(_ path: String, solverFile: String) -> String? {
        let fm = FileManager.default
        if path.hasPrefix("/") { return fm.fileExists(atPath: path) ? path : nil }
        var folder = (solverFile as NSString).deletingLastPathComponent
        var candidates = [folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path), path]
        while !folder.isEmpty && folder != "/" {
            folder = (folder as NSString).deletingLastPathComponent
            candidates.append(folder.isEmpty ? path : (folder as NSString).appendingPathComponent(path))
        }
        return candidates.first { candidate in
            var isFolder: ObjCBool = false
            return fm.fileExists(atPath: candidate, isDirectory: &isFolder) && !isFolder.boolValue
        }
    }
}
