import Foundation

/// A `--set` that a sweep can't use, saying what to write instead.
public struct SweepError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { message }
    public init(_ message: String) { self.message = message }
}

/// One setting of a sweep and the values it takes: a list of alternatives
/// (`solver.base_lr=0.01,0.001`) or, for `--sample`, a range (`key=1..10`, `key=log:1e-4..1e-1`).
public struct SweepAxis: Codable, Equatable, Sendable {
    public var key: String
    public var domain: Domain

    public enum Domain: Codable, Equatable, Sendable {
        /// Each value exactly as `--set` takes it.
        case values([String])
        /// A closed interval, drawn uniformly (in its logarithm when `log`); whole numbers when
        /// the setting is an integer.
        case range(low: Double, high: Double, log: Bool, integer: Bool)

        private enum CodingKeys: String, CodingKey { case values, low, high, log, integer }

        // sweep.json reads `{"values": [...]}` or `{"low": 1e-4, "high": 0.1, "log": true, ...}`.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let values = try c.decodeIfPresent([String].self, forKey: .values) {
                self = .values(values)
            } else {
                self = .range(low: try c.decode(Double.self, forKey: .low), high: try c.decode(Double.self, forKey: .high),
                              log: try c.decodeIfPresent(Bool.self, forKey: .log) ?? false,
                              integer: try c.decodeIfPresent(Bool.self, forKey: .integer) ?? false)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .values(let values):
                try c.encode(values, forKey: .values)
            case .range(let low, let high, let log, let integer):
                try c.encode(low, forKey: .low)
                try c.encode(high, forKey: .high)
                try c.encode(log, forKey: .log)
                try c.encode(integer, forKey: .integer)
            }
        }
    }

    public init(key: String, domain: Domain) {
        self.key = key
        self.domain = domain
    }

    /// Whether this axis takes more than one value.
    public var varies: Bool {
        switch domain {
        case .values(let values): values.count > 1
        case .range: true
        }
    }

    /// Reads `key=value` as `--set` writes it. A list-valued setting (`solver.stepvalue`)
    /// takes its alternatives in brackets, `[100,200],[300]`; unbracketed, the value is one list.
    public static func parse(_ assignment: String) throws -> SweepAxis {
        guard let eq = assignment.firstIndex(of: "=") else {
            throw SweepError("--set '\(assignment)' is not of the form key=value (e.g. --set solver.base_lr=0.01,0.001)")
        }
        let key = String(assignment[..<eq]).trimmingCharacters(in: .whitespaces)
        let value = String(assignment[assignment.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        guard let kind = Overrides.kind(of: key) else {
            throw SweepError("unknown setting '\(key)'.\(Suggestions.didYouMean(key, among: Overrides.knownKeys)) Settings that exist:\n  "
                             + Overrides.knownKeys.joined(separator: "\n  "))
        }
        if let range = try parseRange(value, key: key, kind: kind) {
            return SweepAxis(key: key, domain: range)
        }
        let values: [String]
        switch kind {
        case .list:
            values = value.hasPrefix("[") ? try bracketed(value, key: key) : [value]
        case .integer, .number, .flag, .text, .choice:
            values = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if values.count > 1, values.contains(where: \.isEmpty) {
                throw SweepError("--set \(assignment): an empty value between commas; list the values as \(key)=a,b,c")
            }
        }
        if values.count > 1, Set(values).count < values.count {
            throw SweepError("--set \(assignment): a value is listed twice")
        }
        return SweepAxis(key: key, domain: .values(values))
    }

    /// `[1,2],[3]` as its groups' insides, `1,2` and `3`.
    private static func bracketed(_ value: String, key: String) throws -> [String] {
        var groups: [String] = []
        var rest = Substring(value)
        while !rest.isEmpty {
            guard rest.hasPrefix("["), let close = rest.firstIndex(of: "]") else {
                throw SweepError("--set \(key)=\(value): write each list in brackets, separated by commas: \(key)=[100,200],[300]")
            }
            groups.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
            if rest.hasPrefix(",") { rest = rest.dropFirst().drop { $0 == " " } }
        }
        return groups
    }

    /// `low..high` or `log:low..high`; nil when the value is not a range.
    private static func parseRange(_ value: String, key: String, kind: Overrides.Kind) throws -> Domain? {
        let integer: Bool
        switch kind {
        case .integer: integer = true
        case .number: integer = false
        // Paths and words may hold "..": only numbers take ranges.
        case .flag, .text, .choice, .list: return nil
        }
        var text = Substring(value)
        let log = text.hasPrefix("log:")
        if log { text = text.dropFirst(4) }
        guard let dots = text.range(of: "..") else {
            if log { throw SweepError("--set \(key)=\(value): a log: range is written \(key)=log:1e-4..1e-1") }
            return nil
        }
        let lowText = text[..<dots.lowerBound].trimmingCharacters(in: .whitespaces)
        let highText = text[dots.upperBound...].trimmingCharacters(in: .whitespaces)
        guard let low = Double(lowText), let high = Double(highText), low.isFinite, high.isFinite else {
            throw SweepError("--set \(key)=\(value): a range is written low..high with numbers, e.g. \(key)=\(integer ? "1..10" : "log:1e-4..1e-1")")
        }
        if integer, low.rounded() != low || high.rounded() != high || Swift.abs(low) > 1e15 || Swift.abs(high) > 1e15 {
            throw SweepError("--set \(key)=\(value): \(key) is an integer, so the range's ends must be whole numbers (of at most 15 digits)")
        }
        guard low < high else {
            throw SweepError("--set \(key)=\(value): the range is empty; write the smaller end first, low..high")
        }
        if log, low <= 0 {
            throw SweepError("--set \(key)=\(value): a log: range needs ends above 0")
        }
        return .range(low: low, high: high, log: log, integer: integer)
    }
}
