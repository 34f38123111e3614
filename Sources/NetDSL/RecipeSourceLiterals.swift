// Swift literals and line layout for the recipes RecipeSource writes.

/// Swift source text for values, written so that they read back exactly.
enum SwiftLiteral {
    /// The shortest decimal that reads back as exactly `x`, in the form a person would type:
    /// `0.01`, `0.00390625`, `5e-4`, `1`. Falls back to the bit pattern if a decimal would not
    /// survive the compiler's conversion.
    static func float(_ x: Float) -> String {
        if x.isNaN { return "Float.nan" }
        if x.isInfinite { return x < 0 ? "-Float.infinity" : "Float.infinity" }
        if x == 0 { return x.sign == .minus ? "-0.0" : "0" }
        let text = (x < 0 ? "-" : "") + decimal(x.magnitude.description)
        // Float(String) and a Float literal (via Double) must both give back the same bits.
        guard let parsed = Float(text), parsed.bitPattern == x.bitPattern,
              let wide = Double(text), Float(wide).bitPattern == x.bitPattern else {
            return "Float(bitPattern: 0x\(String(x.bitPattern, radix: 16, uppercase: true)))"
        }
        return text
    }

    /// Reformats Swift's shortest description ("1e-08", "16777216.0", "0.0005") without
    /// changing its digits: plain decimals unless an exponent is clearly shorter.
    private static func decimal(_ description: String) -> String {
        var mantissa = Substring(description)
        var exponent = 0
        if let e = description.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = description[..<e]
            exponent = Int(description[description.index(after: e)...]) ?? 0
        }
        let halves = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = halves.first.map(String.init) ?? ""
        let fraction = halves.count > 1 ? String(halves[1]) : ""
        // value = 0.digits × 10^point
        var digits = whole + fraction
        var point = whole.count + exponent
        while digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.last == "0" { digits.removeLast() }
        guard !digits.isEmpty else { return "0" }
        let n = digits.count
        let plain: String
        if point <= 0 {
            plain = "0." + String(repeating: "0", count: -point) + digits
        } else if point < n {
            plain = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
        } else {
            plain = digits + String(repeating: "0", count: point - n)
        }
        let lead = String(digits.prefix(1)) + (n > 1 ? "." + String(digits.dropFirst()) : "")
        let scientific = "\(lead)e\(point - 1)"
        // Whole numbers up to seven digits stay plain (4096, 1000000); otherwise 5e-4 beats
        // 0.0005, but 0.005 stays as people write it.
        if point >= n && point <= 7 { return plain }
        return scientific.count + 2 <= plain.count ? scientific : plain
    }

    /// A decimal integer; `grouped` writes 100_000 for readability.
    static func int<I: BinaryInteger>(_ n: I, grouped: Bool = false) -> String {
        let digits = String(n.magnitude)
        guard grouped, digits.count > 3 else { return (n < 0 ? "-" : "") + digits }
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append("_") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func bool(_ b: Bool) -> String { b ? "true" : "false" }

    static func ints(_ values: [Int]) -> String { "[" + values.map { int($0) }.joined(separator: ", ") + "]" }

    static func floats(_ values: [Float]) -> String { "[" + values.map(float).joined(separator: ", ") + "]" }

    static func strings(_ values: [String]) -> String { values.map(string).joined(separator: ", ") }
}

/// Lays out calls and modifier chains within a line width, as the hand-written recipes do.
enum SourceLayout {
    static let width = 100

    /// `name(arg, arg, ...)` starting at column `indent`; arguments that do not fit move to
    /// further lines, aligned under the first one.
    static func call(_ name: String, _ arguments: [String], indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        let single = pad + name + "(" + arguments.joined(separator: ", ") + ")"
        guard single.count > width, arguments.count > 1 else { return [single] }
        let continuation = String(repeating: " ", count: indent + name.count + 1)
        var lines: [String] = []
        var current = pad + name + "("
        var startOfLine = true
        for (i, argument) in arguments.enumerated() {
            let piece = argument + (i == arguments.count - 1 ? ")" : ",")
            if !startOfLine && current.count + 1 + piece.count > width {
                lines.append(current)
                current = continuation + piece
            } else {
                current += (startOfLine ? "" : " ") + piece
            }
            startOfLine = false
        }
        lines.append(current)
        return lines
    }

    /// A call followed by `.modifier(...)`s: on its line if all fits, else the modifiers on
    /// following lines indented one step, as many to a line as fit.
    static func chain(_ head: [String], _ modifiers: [String], indent: Int) -> [String] {
        guard !modifiers.isEmpty else { return head }
        var lines = head
        let last = lines.removeLast()
        let joined = last + modifiers.joined()
        if joined.count <= width { return lines + [joined] }
        lines.append(last)
        let pad = String(repeating: " ", count: indent + 4)
        var current = pad
        for modifier in modifiers {
            if current.count > pad.count && current.count + modifier.count > width {
                lines.append(current)
                current = pad
            }
            current += modifier
        }
        lines.append(current)
        return lines
    }
}
