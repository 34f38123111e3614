import NetDSL

/// A layer's fields in the scanned prototxt, as the kinds' declarations read them (`CaffeFields`):
/// values are converted from the text as written, each read field is marked, and every problem
/// is reported at its line under the layer's name.
///
/// SwiftProtobuf has already decoded the whole file against caffe.proto, so the fields that
/// schema knows have values of the right type; fields of kinds it lacks are checked here.
struct PrototxtFields: CaffeFields {
    let fields: MessageFields
    let isV1: Bool
    let topCount: Int

    func has(_ name: String) -> Bool { fields.has(name) }

    func use(_ names: [String]) { for name in names { fields.one(name) } }

    func message(_ name: String) -> CaffeFields? {
        guard let node = fields.one(name) else { return nil }
        guard node.isMessage else {
            fields.problem(node, "field '\(fields.path)\(node.display)' must be a message: write \(name) { ... }")
            return nil
        }
        return fields.message(name).map { PrototxtFields(fields: $0, isV1: isV1, topCount: topCount) }
    }

    func messages(_ name: String) -> [CaffeFields] {
        fields.messages(name).map { PrototxtFields(fields: $0, isV1: isV1, topCount: topCount) }
    }

    func int(_ name: String) -> Int? { fields.one(name).flatMap { convert($0, "an integer", Self.integer) } }

    func count(_ name: String) -> Int? { fields.one(name).flatMap { convert($0, "a count (0 or more)", Self.count) } }

    func float(_ name: String) -> Float? { fields.one(name).flatMap { convert($0, "a number", Self.float) } }

    func bool(_ name: String) -> Bool? { fields.one(name).flatMap { convert($0, "true or false", Self.bool) } }

    func string(_ name: String) -> String? { fields.one(name).flatMap { convert($0, "a quoted string", Self.string) } }

    func identifier(_ name: String) -> String? {
        fields.one(name).flatMap { convert($0, "a name such as MAX", Self.identifier) }
    }

    func ints(_ name: String) -> [Int] { fields.all(name).compactMap { convert($0, "an integer", Self.integer) } }

    func counts(_ name: String) -> [Int] { fields.all(name).compactMap { convert($0, "a count (0 or more)", Self.count) } }

    func floats(_ name: String) -> [Float] { fields.all(name).compactMap { convert($0, "a number", Self.float) } }

    func problem(_ field: String?, index: Int?, _ message: String) {
        fields.problem(node(field, index), message)
    }

    func unsupported(_ field: String?, index: Int?, _ hint: String) {
        fields.unsupported(node(field, index), hint)
    }

    func note(_ field: String?, _ message: String) {
        fields.note(field.flatMap(fields.node), message)
    }

    private func node(_ field: String?, _ index: Int?) -> PrototxtNode? {
        guard let field else { return nil }
        guard let index else { return fields.node(field) }
        let all = fields.nodes.filter { $0.name == field }
        return index < all.count ? all[index] : all.last
    }

    private func convert<T>(_ node: PrototxtNode, _ what: String, _ parse: (String) -> T?) -> T? {
        guard case .scalar(let raw) = node.value else {
            fields.problem(node, "field '\(fields.path)\(node.name) { ... }' must be \(what), not a message")
            return nil
        }
        guard let value = parse(raw) else {
            fields.problem(node, "field '\(fields.path)\(node.display)' cannot be read: the value is not \(what)")
            return nil
        }
        return value
    }

    // MARK: - Values as protobuf's text format writes them

    static func integer(_ raw: String) -> Int? {
        var text = Substring(raw)
        let negative = text.hasPrefix("-")
        if negative || text.hasPrefix("+") { text = text.dropFirst() }
        let magnitude: Int?
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            magnitude = Int(text.dropFirst(2), radix: 16)
        } else if text.count > 1 && text.hasPrefix("0") {
            magnitude = Int(text.dropFirst(), radix: 8)
        } else {
            magnitude = Int(text)
        }
        guard let magnitude else { return nil }
        return negative ? -magnitude : magnitude
    }

    static func count(_ raw: String) -> Int? {
        guard let n = integer(raw), n >= 0, n <= Int(UInt32.max) else { return nil }
        return n
    }

    static func float(_ raw: String) -> Float? {
        var text = raw.lowercased()
        if text.hasSuffix("f") && !text.hasSuffix("inf") { text.removeLast() }
        switch text {
        case "inf", "infinity", "+inf", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default: break
        }
        if let n = integer(text), !text.contains(".") { return Float(n) }
        guard let value = Float(text), value.isFinite else { return nil }
        return value
    }

    static func bool(_ raw: String) -> Bool? {
        switch raw {
        case "true", "True", "t", "1": true
        case "false", "False", "f", "0": false
        default: nil
        }
    }

    static func identifier(_ raw: String) -> String? {
        guard let first = raw.unicodeScalars.first, first == "_" || ("A"..."Z").contains(first) || ("a"..."z").contains(first),
              raw.unicodeScalars.allSatisfy({ $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) })
        else { return nil }
        return raw
    }

    /// One or more quoted strings, joined, with C's escapes.
    static func string(_ raw: String) -> String? {
        var bytes: [UInt8] = []
        var chars = Array(raw.utf8)[...]
        while let quote = chars.first {
            guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                if quote == UInt8(ascii: " ") { chars = chars.dropFirst(); continue }
                return nil
            }
            chars = chars.dropFirst()
            var closed = false
            while let c = chars.first {
                chars = chars.dropFirst()
                if c == quote { closed = true; break }
                guard c == UInt8(ascii: "\\") else { bytes.append(c); continue }
                guard let e = chars.first else { return nil }
                chars = chars.dropFirst()
                switch e {
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "a"): bytes.append(0x07)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "v"): bytes.append(0x0B)
                case UInt8(ascii: "x"):
                    var value = 0, digits = 0
                    while digits < 2, let h = chars.first, let d = Int(String(UnicodeScalar(h)), radix: 16) {
                        value = value * 16 + d; digits += 1; chars = chars.dropFirst()
                    }
                    guard digits > 0 else { return nil }
                    bytes.append(UInt8(value))
                case UInt8(ascii: "0")...UInt8(ascii: "7"):
                    var value = Int(e - UInt8(ascii: "0")), digits = 1
                    while digits < 3, let o = chars.first, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(o) {
                        value = value * 8 + Int(o - UInt8(ascii: "0")); digits += 1; chars = chars.dropFirst()
                    }
                    guard value < 256 else { return nil }
                    bytes.append(UInt8(value))
                default: bytes.append(e)
                }
            }
            guard closed else { return nil }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
