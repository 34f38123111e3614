/// One prototxt being imported: its field tree, which fields the converters have read, and the
/// problems and notes found so far. Anything in the text that no converter read is reported at
/// the end, so no setting is dropped without a word.
final class ImportSession {
    let file: String
    let roots: [PrototxtNode]
    private var read: Set<Int> = []
    private var owners: [Int: String] = [:]
    private var duplicatesReported: Set<Int> = []
    private(set) var problems: [CaffeImportError.Problem] = []
    private(set) var notes: [String] = []

    init(file: String, roots: [PrototxtNode]) {
        self.file = file
        self.roots = roots
    }

    /// The top-level fields, owned by `owner` ("net 'LeNet'", "solver").
    func fields(owner: String) -> MessageFields {
        MessageFields(session: self, node: nil, nodes: roots, owner: owner, path: "")
    }

    func problem(line: Int, _ message: String) {
        problems.append(.init(file: file, line: line, message: message))
    }

    func note(line: Int, _ message: String) {
        notes.append("\(file):\(line): \(message)")
    }

    func markRead(_ node: PrototxtNode) { read.insert(node.id) }

    /// Marks a node and everything in it read (a layer whose type is rejected: its settings
    /// would only repeat the problem).
    func markAllRead(_ node: PrototxtNode) {
        markRead(node)
        node.children.forEach(markAllRead)
    }

    /// Whether a duplicated field still needs reporting (accessors may ask for a field twice).
    func firstReport(ofDuplicate node: PrototxtNode) -> Bool { duplicatesReported.insert(node.id).inserted }

    /// Names the owner of a message's fields, for problems found in it later.
    func setOwner(_ owner: String, of node: PrototxtNode) { owners[node.id] = owner }

    /// Reports every field that no converter read, inside the messages they did read.
    func reportUnread(owner: String) {
        walk(roots, owner: owner, path: "")
        problems.sort { $0.line < $1.line }
    }

    private func walk(_ nodes: [PrototxtNode], owner: String, path: String) {
        for node in nodes {
            guard read.contains(node.id) else {
                problem(line: node.line, "\(owner): field '\(path)\(node.display)' is not supported by Crema here; remove it")
                continue
            }
            guard node.isMessage else { continue }
            if let inner = owners[node.id] {
                walk(node.children, owner: inner, path: "")
            } else {
                walk(node.children, owner: owner, path: path + node.name + ".")
            }
        }
    }
}

/// The fields of one message in the text, for a converter that takes them one by one: each
/// accessor marks what it returns as read, and a non-repeated field given twice is a problem
/// (SwiftProtobuf would silently keep the last).
struct MessageFields {
    let session: ImportSession
    /// The message's own field; nil for the file's top level.
    let node: PrototxtNode?
    let nodes: [PrototxtNode]
    /// Who the fields belong to, for messages: "layer 'conv1' (Convolution)".
    let owner: String
    /// The enclosing field names, "convolution_param.", for messages.
    let path: String

    /// Every occurrence of a repeated field.
    func all(_ name: String) -> [PrototxtNode] {
        let found = nodes.filter { $0.name == name }
        found.forEach(session.markRead)
        return found
    }

    /// Where the message starts, for problems about fields it lacks.
    var line: Int { node?.line ?? 1 }

    /// A non-repeated field, if present.
    @discardableResult
    func one(_ name: String) -> PrototxtNode? {
        let found = all(name)
        if found.count > 1, session.firstReport(ofDuplicate: found[0]) {
            problem(found[1], "field '\(path)\(name)' is given \(found.count) times (first on line \(found[0].line)); Caffe takes it once, so keep one")
        }
        return found.last
    }

    /// Marks non-repeated fields whose values the converter takes from the decoded message.
    func use(_ names: String...) {
        for name in names { one(name) }
    }

    /// A non-repeated message field.
    func message(_ name: String) -> MessageFields? {
        one(name).map(child)
    }

    /// Every occurrence of a repeated message field.
    func messages(_ name: String) -> [MessageFields] {
        all(name).map(child)
    }

    /// The last occurrence of a field, for its line, without marking it read.
    func node(_ name: String) -> PrototxtNode? { nodes.last { $0.name == name } }

    func has(_ name: String) -> Bool { node(name) != nil }

    /// Marks this message and everything in it read.
    func markAllRead() {
        if let node { session.markAllRead(node) } else { nodes.forEach(session.markAllRead) }
    }

    /// The same fields reported under another owner (a layer once its name and type are known);
    /// fields no converter reads are reported under it too.
    func owned(by owner: String) -> MessageFields {
        if let node { session.setOwner(owner, of: node) }
        return MessageFields(session: session, node: node, nodes: nodes, owner: owner, path: "")
    }

    private func child(_ node: PrototxtNode) -> MessageFields {
        MessageFields(session: session, node: node, nodes: node.children, owner: owner,
                      path: path + node.name + ".")
    }

    /// A problem at `node`'s line (the message's own line without one), prefixed by the owner.
    /// The node counts as read, so it is not reported again as unsupported.
    func problem(_ node: PrototxtNode?, _ message: String) {
        if let node { session.markRead(node) }
        session.problem(line: node?.line ?? line, "\(owner): \(message)")
    }

    /// A value Crema cannot honour: names the field as written and says what to do.
    func unsupported(_ node: PrototxtNode?, _ hint: String) {
        guard let node else { return problem(nil, hint) }
        problem(node, "'\(path)\(node.display)' is not supported by Crema; \(hint)")
    }

    /// A setting accepted but without effect here.
    func note(_ node: PrototxtNode?, _ message: String) {
        let what = node.map { "'\(path)\($0.display)' " } ?? ""
        session.note(line: node?.line ?? line, "\(owner): \(what)\(message)")
    }
}
