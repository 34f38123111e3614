/// The fields of one Caffe prototxt message, as a kind's declaration reads its settings: each
/// accessor marks the field read and converts its value, and what cannot be honoured is
/// reported at the field's line. Fields no declaration reads are reported by the importer, so
/// no setting is dropped without a word. The importer (in Runtime) provides it.
public protocol CaffeFields {
    /// Whether this is a legacy V1 `layers { }` entry.
    var isV1: Bool { get }
    /// How many tops the layer names (for its own fields; Input's shapes match them).
    var topCount: Int { get }
    /// Whether the message gives the field.
    func has(_ name: String) -> Bool
    /// Marks fields read whose presence alone matters to the declaration.
    func use(_ names: [String])
    func message(_ name: String) -> CaffeFields?
    func messages(_ name: String) -> [CaffeFields]
    /// A signed integer (`int32`, `int64`).
    func int(_ name: String) -> Int?
    /// A count (`uint32`): a negative value is a problem.
    func count(_ name: String) -> Int?
    func float(_ name: String) -> Float?
    func bool(_ name: String) -> Bool?
    func string(_ name: String) -> String?
    /// An enum value's name (`MAX`, `CUDNN`).
    func identifier(_ name: String) -> String?
    func ints(_ name: String) -> [Int]
    func counts(_ name: String) -> [Int]
    func floats(_ name: String) -> [Float]
    /// Something wrong with the field (`nil`: with the message as a whole); `index` picks one
    /// value of a repeated field.
    func problem(_ field: String?, index: Int?, _ message: String)
    /// A value Crema cannot honour: names the field as written and says what to do.
    func unsupported(_ field: String?, index: Int?, _ hint: String)
    /// A setting accepted but without effect here.
    func note(_ field: String?, _ message: String)
}

extension CaffeFields {
    public func use(_ names: String...) { use(names) }

    public func problem(_ field: String?, _ message: String) { problem(field, index: nil, message) }

    public func unsupported(_ field: String?, _ hint: String) { unsupported(field, index: nil, hint) }

    /// An enum field's value from its Caffe names; an unknown name is a problem listing them.
    public func choice<T>(_ name: String, _ options: KeyValuePairs<String, T>) -> T? {
        guard let value = identifier(name) else { return nil }
        if let match = options.first(where: { $0.key == value }) { return match.value }
        problem(name, "'\(value)' is not one of \(options.map(\.key).joined(separator: ", "))")
        return nil
    }

    /// `engine: CUDNN` picks Caffe's GPU kernels; Crema's CPU kernels compute the same thing.
    public func ignoresEngine() {
        if identifier("engine") == "CUDNN" { note("engine", "ignored: Crema runs its own CPU kernels") }
    }

    /// The `*_param` message of a kind whose settings are all optional, or an empty stand-in
    /// that reads nothing when the layer leaves it out.
    public func optionalMessage(_ name: String) -> CaffeFields {
        message(name) ?? AbsentFields(isV1: isV1, topCount: topCount)
    }
}

/// A message the layer does not give: every field reads as unset.
struct AbsentFields: CaffeFields {
    var isV1: Bool
    var topCount: Int
    func has(_ name: String) -> Bool { false }
    func use(_ names: [String]) {}
    func message(_ name: String) -> CaffeFields? { nil }
    func messages(_ name: String) -> [CaffeFields] { [] }
    func int(_ name: String) -> Int? { nil }
    func count(_ name: String) -> Int? { nil }
    func float(_ name: String) -> Float? { nil }
    func bool(_ name: String) -> Bool? { nil }
    func string(_ name: String) -> String? { nil }
    func identifier(_ name: String) -> String? { nil }
    func ints(_ name: String) -> [Int] { [] }
    func counts(_ name: String) -> [Int] { [] }
    func floats(_ name: String) -> [Float] { [] }
    func problem(_ field: String?, index: Int?, _ message: String) {}
    func unsupported(_ field: String?, index: Int?, _ hint: String) {}
    func note(_ field: String?, _ message: String) {}
}

/// Caffe prototxt fields as a kind's declaration writes them, in order; the deploy writer
/// lays them out as text.
public struct CaffeMessageWriter: Sendable, Equatable {
    public indirect enum Value: Sendable, Equatable {
        /// The value as it is written in text format: a number, an identifier, a quoted string.
        case scalar(String)
        case message(CaffeMessageWriter)
    }

    public private(set) var fields: [Field] = []

    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: Value
    }

    public init() {}

    public mutating func int(_ name: String, _ value: Int) { fields.append(Field(name: name, value: .scalar(String(value)))) }

    public mutating func float(_ name: String, _ value: Float) {
        fields.append(Field(name: name, value: .scalar(Self.text(value))))
    }

    public mutating func bool(_ name: String, _ value: Bool) { fields.append(Field(name: name, value: .scalar(value ? "true" : "false"))) }

    public mutating func string(_ name: String, _ value: String) {
        fields.append(Field(name: name, value: .scalar(Self.quoted(value))))
    }

    public mutating func identifier(_ name: String, _ value: String) { fields.append(Field(name: name, value: .scalar(value))) }

    /// A nested message; left out when it writes no field.
    public mutating func message(_ name: String, _ build: (inout CaffeMessageWriter) -> Void) {
        var inner = CaffeMessageWriter()
        build(&inner)
        if !inner.fields.isEmpty { fields.append(Field(name: name, value: .message(inner))) }
    }

    /// Writes `value` only where it differs from Caffe's default, as people write prototxts.
    public mutating func int(_ name: String, _ value: Int, unless fallback: Int) { if value != fallback { int(name, value) } }
    public mutating func float(_ name: String, _ value: Float, unless fallback: Float) { if value != fallback { float(name, value) } }
    public mutating func bool(_ name: String, _ value: Bool, unless fallback: Bool) { if value != fallback { bool(name, value) } }

    /// Text format lines, `indent` spaces in.
    public func lines(indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        return fields.flatMap { field -> [String] in
            switch field.value {
            case .scalar(let text): return ["\(pad)\(field.name): \(text)"]
            case .message(let inner): return ["\(pad)\(field.name) {"] + inner.lines(indent: indent + 2) + ["\(pad)}"]
            }
        }
    }

    /// The shortest decimal that reads back as the same Float (`inf` and `nan` as text format spells them).
    static func text(_ x: Float) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        let d = x.description
        return d.hasSuffix(".0") ? String(d.dropLast(2)) : d
    }

    /// `s` as a text-format string literal.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\n"): out += "\\n"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
            default: out += "\\" + String(byte, radix: 8).leftPadded(to: 3)
            }
        }
        return out + "\""
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
