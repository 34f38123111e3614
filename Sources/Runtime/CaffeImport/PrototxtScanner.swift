/// One field of a prototxt as written: its name, the line it starts on, and either the scalar
/// token(s) exactly as written or the fields of a nested message.
///
/// SwiftProtobuf decodes the text but keeps no line numbers; this tree gives every field its
/// line, so the importer can name the line of anything it rejects.
struct PrototxtNode {
    enum Value {
        /// The value as written: a number, an identifier, or one or more quoted strings.
        case scalar(String)
        case message([PrototxtNode])
    }

    /// Unique within one scanned file, for recording which fields the importer has read.
    let id: Int
    let name: String
    let line: Int
    let value: Value

    var children: [PrototxtNode] {
        if case .message(let nodes) = value { return nodes }
        return []
    }

    var isMessage: Bool {
        if case .message = value { return true }
        return false
    }

    /// `name: value`, or `name { ... }` for a message, for messages to the user.
    var display: String {
        switch value {
        case .scalar(let raw): "\(name): \(raw)"
        case .message: "\(name) { ... }"
        }
    }

    /// The field as text format again, for decoding it on its own.
    var text: String {
        switch value {
        case .scalar(let raw): "\(name): \(raw)"
        case .message(let nodes): "\(name) { \(nodes.map(\.text).joined(separator: " ")) }"
        }
    }
}

/// A prototxt that is not valid text format, at a line.
struct PrototxtSyntaxError: Error {
    let line: Int
    let message: String
}

/// Reads Caffe's protobuf text format into a tree of `PrototxtNode`s: `name: value`,
/// `name { ... }` or `name < ... >` (the colon before a message is optional), `name: [a, b]`
/// lists, `#` comments, single- or double-quoted strings (adjacent ones join), and optional
/// `,` or `;` after a field.
struct PrototxtScanner {
    private enum Token: Equatable {
        case word(String)
        case string(String)
        case punct(Character)
        case end
    }

    private let chars: [Character]
    private var index = 0
    private var line = 1
    private var nextID = 0
    private var lookahead: (token: Token, line: Int)?

    /// Scans `text`; throws the first syntax error with its line.
    static func scan(_ text: String) throws -> [PrototxtNode] {
        var scanner = PrototxtScanner(chars: Array(text))
        let nodes = try scanner.fields(closing: nil, openedAt: 0, name: "")
        return nodes
    }

    private init(chars: [Character]) { self.chars = chars }

    private mutating func fields(closing: Character?, openedAt: Int, name: String) throws -> [PrototxtNode] {
        var nodes: [PrototxtNode] = []
        while true {
            let (token, tokenLine) = try next()
            switch token {
            case .end:
                if let closing {
                    throw PrototxtSyntaxError(line: tokenLine, message: "the file ends before '\(closing)' closes '\(name)' (opened on line \(openedAt))")
                }
                return nodes
            case .punct(let c) where c == closing:
                return nodes
            case .punct(let c) where c == "," || c == ";":
                continue
            case .word(let fieldName) where Self.isIdentifier(fieldName):
                nodes += try field(named: fieldName, at: tokenLine)
            case .punct("["):
                throw PrototxtSyntaxError(line: tokenLine, message: "extension fields ([...]) are not part of Caffe's schema; remove it")
            default:
                throw PrototxtSyntaxError(line: tokenLine, message: "expected a field name, found \(Self.describe(token))")
            }
        }
    }

    /// The value(s) after a field name; a list gives one node per element.
    private mutating func field(named name: String, at fieldLine: Int) throws -> [PrototxtNode] {
        var (token, tokenLine) = try next()
        var sawColon = false
        if token == .punct(":") {
            sawColon = true
            (token, tokenLine) = try next()
        }
        switch token {
        case .punct("{"), .punct("<"):
            return [try message(named: name, at: fieldLine, closing: token == .punct("{") ? "}" : ">")]
        case .punct("["):
            guard sawColon else { break }
            return try list(named: name, at: fieldLine)
        case .word, .string:
            guard sawColon else {
                throw PrototxtSyntaxError(line: tokenLine, message: "expected ':' after '\(name)'")
            }
            return [try scalar(named: name, first: token, at: fieldLine)]
        default:
            break
        }
        throw PrototxtSyntaxError(line: tokenLine, message: "expected a value for '\(name)', found \(Self.describe(token))")
    }

    private mutating func message(named name: String, at fieldLine: Int, closing: Character) throws -> PrototxtNode {
        let id = takeID()
        let children = try fields(closing: closing, openedAt: fieldLine, name: name)
        return PrototxtNode(id: id, name: name, line: fieldLine, value: .message(children))
    }

    private mutating func list(named name: String, at fieldLine: Int) throws -> [PrototxtNode] {
        var nodes: [PrototxtNode] = []
        while true {
            let (token, tokenLine) = try next()
            switch token {
            case .punct("]") where nodes.isEmpty:
                return nodes
            case .punct("{"), .punct("<"):
                nodes.append(try message(named: name, at: tokenLine, closing: token == .punct("{") ? "}" : ">"))
            case .word, .string:
                nodes.append(try scalar(named: name, first: token, at: tokenLine))
            default:
                throw PrototxtSyntaxError(line: tokenLine, message: "expected a value in the list '\(name)', found \(Self.describe(token))")
            }
            let (separator, separatorLine) = try next()
            if separator == .punct("]") { return nodes }
            guard separator == .punct(",") else {
                throw PrototxtSyntaxError(line: separatorLine, message: "expected ',' or ']' in the list '\(name)', found \(Self.describe(separator))")
            }
        }
    }

    private mutating func scalar(named name: String, first: Token, at fieldLine: Int) throws -> PrototxtNode {
        var raw: String
        switch first {
        case .word(let w): raw = w
        case .string(let s):
            raw = s
            // Adjacent quoted strings are one value, as in C.
            while case (.string(let more), _)? = try peek() {
                _ = try next()
                raw += " " + more
            }
        default: raw = ""
        }
        return PrototxtNode(id: takeID(), name: name, line: fieldLine, value: .scalar(raw))
    }

    private mutating func takeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    // MARK: - Tokens

    private mutating func peek() throws -> (token: Token, line: Int)? {
        if lookahead == nil { lookahead = try readToken() }
        return lookahead
    }

    private mutating func next() throws -> (token: Token, line: Int) {
        if let token = lookahead {
            lookahead = nil
            return token
        }
        return try readToken()
    }

    private static let punctuation: Set<Character> = ["{", "}", "<", ">", "[", "]", ":", ",", ";"]

    private mutating func readToken() throws -> (token: Token, line: Int) {
        skipSpaceAndComments()
        guard index < chars.count else { return (.end, line) }
        let c = chars[index]
        let start = line
        if Self.punctuation.contains(c) {
            index += 1
            return (.punct(c), start)
        }
        if c == "\"" || c == "'" {
            return (.string(try quoted(c)), start)
        }
        var word = ""
        while index < chars.count {
            let d = chars[index]
            if d.isWhitespace || d == "#" || d == "\"" || d == "'" || Self.punctuation.contains(d) { break }
            word.append(d)
            index += 1
        }
        return (.word(word), start)
    }

    /// A quoted string, kept with its quotes and escapes so SwiftProtobuf can decode it again.
    private mutating func quoted(_ quote: Character) throws -> String {
        let start = line
        var raw = String(quote)
        index += 1
        while index < chars.count {
            let c = chars[index]
            if c.isNewline {
                throw PrototxtSyntaxError(line: start, message: "a string is not closed on the line it starts; add the closing \(quote)")
            }
            raw.append(c)
            index += 1
            if c == "\\", index < chars.count {
                raw.append(chars[index])
                index += 1
            } else if c == quote {
                return raw
            }
        }
        throw PrototxtSyntaxError(line: start, message: "a string is not closed; add the closing \(quote)")
    }

    private mutating func skipSpaceAndComments() {
        while index < chars.count {
            let c = chars[index]
            if c == "#" {
                while index < chars.count, !chars[index].isNewline { index += 1 }
            } else if c.isWhitespace {
                if c.isNewline { line += 1 }
                index += 1
            } else {
                return
            }
        }
    }

    private static func isIdentifier(_ word: String) -> Bool {
        guard let first = word.first, first.isLetter || first == "_" else { return false }
        return word.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    private static func describe(_ token: Token) -> String {
        switch token {
        case .word(let w): "'\(w)'"
        case .string(let s): s
        case .punct(let c): "'\(c)'"
        case .end: "the end of the file"
        }
    }
}
