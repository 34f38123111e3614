import Foundation

/// A finished (or stopped, failed, still running) run as read back from its folder: recipe.json,
/// summary.json and metrics.csv. Read leniently, so runs recorded by older versions still compare.
struct RecordedRun {
    let folder: URL
    var recipe: String
    /// Every setting as a Caffe-style key (`solver.base_lr`, `data.train.batch_size`,
    /// `net.conv1.num_output`) and its value as text.
    var settings: [String: String]
    var overrides: [String]
    /// Nil when summary.json is missing: the run is still going or was killed.
    var summary: SummaryFile?
    var metrics: [MetricPoint]

    var name: String { folder.lastPathComponent }

    /// Why the run is flagged as not having learnt (summary.json's `learning`); nil when it learnt
    /// or was recorded before runs were checked.
    var didNotLearn: [String]? {
        guard let learning = summary?.learning, !learning.learnt else { return nil }
        return learning.reasons ?? []
    }

    struct MetricPoint: Equatable {
        var iteration: Int
        var seconds: Double
        var phase: String
        var name: String
        var value: Double
    }

    /// summary.json, every field optional.
    struct SummaryFile: Decodable {
        var status: String?
        var summary: Details?
        var error: String?
        var learning: Learning?

        struct Learning: Decodable {
            var learnt: Bool
            var reasons: [String]?
        }

        struct Details: Decodable {
            var iterations: Int?
            var seconds: Double?
            var imagesPerSecond: Double?
            var finalLoss: Double?
            var finalTest: [String: Double]?
            var bestTest: [String: Best]?
        }

        struct Best: Decodable {
            var value: Double
            var iteration: Int
        }
    }

    /// Reads the run in `folder`; a folder without recipe.json is not a run and is an error.
    static func load(_ folder: URL) throws -> RecordedRun {
        let fm = FileManager.default
        let recipeURL = folder.appendingPathComponent("recipe.json")
        guard fm.fileExists(atPath: recipeURL.path) else {
            throw CLIError("\(folder.path) is not a run folder: it has no recipe.json. Pass run folders (results/<recipe>/<run>) or a recipe's name to compare all its runs")
        }
        let recipe: JSONValue
        do {
            recipe = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: recipeURL))
        } catch {
            throw CLIError("cannot read \(recipeURL.path): \(UserMessage.describe(error))")
        }
        var summary: SummaryFile?
        let summaryURL = folder.appendingPathComponent("summary.json")
        if fm.fileExists(atPath: summaryURL.path) {
            do {
                summary = try SpecJSONDecoding.decoder().decode(SummaryFile.self, from: Data(contentsOf: summaryURL))
            } catch {
                throw CLIError("cannot read \(summaryURL.path): \(UserMessage.describe(error))")
            }
        }
        let metricsURL = folder.appendingPathComponent("metrics.csv")
        var metrics: [MetricPoint] = []
        if fm.fileExists(atPath: metricsURL.path) {
            let text: String
            do {
                text = try String(contentsOf: metricsURL, encoding: .utf8)
            } catch {
                throw CLIError("cannot read \(metricsURL.path): \(UserMessage.describe(error))")
            }
            metrics = try parseMetrics(text, name: metricsURL.path)
        }
        return RecordedRun(folder: folder, recipe: recipe["recipe"]?.text ?? "?",
                           settings: flattenSettings(recipe),
                           overrides: recipe["overrides"]?.array?.compactMap(\.text) ?? [],
                           summary: summary, metrics: metrics)
    }

    /// metrics.csv: `iteration,seconds,phase,name,value`, a name holding a comma in quotes. A
    /// last line cut short (a run killed mid-write) is ignored; a bad line elsewhere is an error.
    static func parseMetrics(_ text: String, name: String) throws -> [MetricPoint] {
        var points: [MetricPoint] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() where n > 0 && !line.isEmpty {
            let fields = splitCSV(String(line))
            guard fields.count == 5, let iteration = Int(fields[0]), let seconds = Double(fields[1]) else {
                if n >= lines.count - 2 { continue }
                throw CLIError("\(name), line \(n + 1): expected iteration,seconds,phase,name,value but found '\(line)'")
            }
            // A non-finite value ("nan", "-nan", "inf") is kept as NaN: charts leave a gap there.
            let value = Double(fields[4]).flatMap { $0.isFinite ? $0 : nil } ?? .nan
            points.append(MetricPoint(iteration: iteration, seconds: seconds, phase: fields[2], name: fields[3], value: value))
        }
        return points
    }

    static func splitCSV(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        let chars = Array(line)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c != "\"" {
                    current.append(c)
                } else if i + 1 < chars.count, chars[i + 1] == "\"" {
                    current.append(c)  // a doubled quote inside quotes is a literal quote
                    i += 1
                } else {
                    quoted = false
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(c)
            }
            i += 1
        }
        fields.append(current)
        return fields
    }

    /// The solver's fields as `solver.<field>`; each Data layer's fields (its transform's
    /// included) as `data.<phase>.<field>`, as `--set` names them; every other layer's parameters
    /// as `net.<layer>.<field>`.
    static func flattenSettings(_ recipe: JSONValue) -> [String: String] {
        var out: [String: String] = [:]
        if let solver = recipe["solver"] { flatten(solver, prefix: "solver", into: &out) }
        if let name = recipe["net"]?["name"]?.text { out["net.name"] = name }
        for layer in recipe["net"]?["layers"]?.array ?? [] {
            guard case .object(var fields) = layer else { continue }
            let name = fields["name"]?.text ?? "?"
            if fields["type"]?.text == "Data", case .object(var data)? = fields["data_param"] {
                let phase = fields["phase"]?.text ?? name
                if case .object(let transform)? = data.removeValue(forKey: "transform") {
                    data.merge(transform) { own, _ in own }
                }
                flatten(.object(data), prefix: "data.\(phase)", into: &out)
                continue
            }
            fields["name"] = nil
            // `convolution_param.num_output` reads as `num_output`: a layer has one parameter block.
            for key in fields.keys where key.hasSuffix("_param") {
                if case .object(let block)? = fields.removeValue(forKey: key) {
                    fields.merge(block) { own, _ in own }
                }
            }
            flatten(.object(fields), prefix: "net.\(name)", into: &out)
        }
        return out
    }

    static func flatten(_ value: JSONValue, prefix: String, into out: inout [String: String]) {
        switch value {
        case .object(let fields):
            for (key, v) in fields { flatten(v, prefix: "\(prefix).\(key)", into: &out) }
        case .array(let items) where items.contains(where: \.isContainer):
            for (i, v) in items.enumerated() { flatten(v, prefix: "\(prefix).\(i)", into: &out) }
        default:
            out[prefix] = value.text ?? ""
        }
    }
}

/// summary.json is written with snake_case keys.
enum SpecJSONDecoding {
    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}

/// Any JSON value, for files whose schema may move on (recipe.json follows the spec types).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    var isContainer: Bool {
        switch self {
        case .array, .object: true
        default: false
        }
    }

    /// The value as a setting is written: numbers without a needless `.0`, lists in brackets.
    var text: String? {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : "\(n)"
        case .string(let s): s
        case .array(let items): "[" + items.compactMap(\.text).joined(separator: ", ") + "]"
        case .object: nil
        }
    }
}
