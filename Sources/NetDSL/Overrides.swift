import Foundation

/// A `--set key=value` that cannot be applied, saying which keys exist.
public struct OverrideError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Command-line overrides keyed by Caffe's field names (`solver.base_lr`,
/// `data.train.source`), whatever the Swift properties are called.
public enum Overrides {
    /// Every key `apply` accepts.
    public static var knownKeys: [String] {
        solverSettings.keys.sorted().map { "solver.\($0)" }
            + Phase.allCases.flatMap { phase in dataSettings.keys.sorted().map { "data.\(phase.rawValue).\($0)" } }
    }

    /// Applies `key=value` to the net or the solver plan.
    public static func apply(_ assignment: String, net: inout NetSpec, solver: inout SolverPlan) throws {
        guard let eq = assignment.firstIndex(of: "=") else {
            throw OverrideError(message: "--set '\(assignment)' is not of the form key=value (e.g. --set solver.base_lr=0.001)")
        }
        let key = String(assignment[..<eq]).trimmingCharacters(in: .whitespaces)
        let value = String(assignment[assignment.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2, parts[0] == "solver", let setting = solverSettings[parts[1]] {
            try setting.apply(&solver, key, value)
            return
        }
        if parts.count == 3, parts[0] == "data", let phase = Phase(rawValue: parts[1]),
           let setting = dataSettings[parts[2]] {
            guard let index = net.dataLayerIndex(in: phase), case .data(var params) = net.layers[index].kind else {
                throw OverrideError(message: "--set \(key): the \(phase) net has no Data layer")
            }
            try setting.apply(&params, key, value)
            net.layers[index].kind = .data(params)
            return
        }
        throw OverrideError(message: "unknown setting '\(key)'.\(Suggestions.didYouMean(key, among: knownKeys)) Settings that exist:\n  "
                            + knownKeys.joined(separator: "\n  "))
    }

    /// What a setting holds, so that a sweep can tell a list of alternatives from one list
    /// value and draw from a range of the right type.
    public enum Kind: Equatable, Sendable {
        case integer, number, flag, text
        /// One of these words (Caffe's enum names).
        case choice([String])
        /// A comma-separated list (`solver.stepvalue=100,200`), also written `[100,200]`.
        case list
    }

    /// The kind of value `key` holds, or nil when no such setting exists.
    public static func kind(of key: String) -> Kind? {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2, parts[0] == "solver" { return solverSettings[parts[1]]?.kind }
        if parts.count == 3, parts[0] == "data", Phase(rawValue: parts[1]) != nil { return dataSettings[parts[2]]?.kind }
        return nil
    }

    /// One settable field: its kind, declared beside how a value is parsed and applied.
    struct Setting<T> {
        let kind: Kind
        let apply: (inout T, String, String) throws -> Void

        static func integer(min: Int = 0, _ set: @escaping (inout T, Int) -> Void) -> Setting {
            Setting(kind: .integer) { t, k, v in set(&t, try parseInt(k, v, min: min)) }
        }
        static func number(_ set: @escaping (inout T, Float) -> Void) -> Setting {
            Setting(kind: .number) { t, k, v in set(&t, try parseFloat(k, v)) }
        }
        static func flag(_ set: @escaping (inout T, Bool) -> Void) -> Setting {
            Setting(kind: .flag) { t, k, v in set(&t, try parseBool(k, v)) }
        }
        static func text(_ set: @escaping (inout T, String) -> Void) -> Setting {
            Setting(kind: .text) { t, _, v in set(&t, v) }
        }
        static func choice<E: RawRepresentable & CaseIterable>(_ set: @escaping (inout T, E) -> Void) -> Setting
        where E.RawValue == String {
            Setting(kind: .choice(E.allCases.map(\.rawValue))) { t, k, v in set(&t, try parseEnum(k, v)) }
        }
        static func list<V>(_ element: @escaping (String, String) throws -> V, _ set: @escaping (inout T, [V]) -> Void) -> Setting {
            Setting(kind: .list) { t, k, v in set(&t, try parseList(k, v).map { try element(k, $0) }) }
        }
    }

    static let solverSettings: [String: Setting<SolverPlan>] = [
        "type": .choice { $0.type = $1 },
        "base_lr": .number { $0.baseLR = $1 },
        "lr_policy": .choice { $0.lrPolicy = $1 },
        "gamma": .number { $0.gamma = $1 },
        "power": .number { $0.power = $1 },
        "stepsize": .integer { $0.stepsize = $1 },
        "stepvalue": .list({ try parseInt($0, $1) }) { $0.stepvalue = $1 },
        "momentum": .number { $0.momentum = $1 },
        "momentum2": .number { $0.momentum2 = $1 },
        "delta": .number { $0.delta = $1 },
        "rms_decay": .number { $0.rmsDecay = $1 },
        "weight_decay": .number { $0.weightDecay = $1 },
        "regularization_type": .choice { $0.regularization = $1 },
        "max_iter": .integer { $0.iterations = $1 },
        "iter_size": .integer(min: 1) { $0.iterSize = $1 },
        "clip_gradients": .number { $0.clipGradients = $1 },
        "display": .integer { $0.display = $1 },
        "average_loss": .integer(min: 1) { $0.averageLoss = $1 },
        "test_interval": .integer { $0.testEvery = $1 },
        "test_iter": .integer { $0.testIterations = $1 },
        "test_initialization": .flag { $0.testAtStart = $1 },
        "snapshot": .integer { $0.snapshotEvery = $1 },
        "snapshot_prefix": .text { $0.snapshotPrefix = $1 },
        // -1 (Caffe's default) draws a seed at the start of the run.
        "random_seed": Setting(kind: .integer) { s, k, v in
            guard let n = Int64(v.replacingOccurrences(of: "_", with: "")) else {
                throw OverrideError(message: "--set \(k)=\(v): expected an integer")
            }
            s.seed = n
        },
    ]

    static let dataSettings: [String: Setting<DataParams>] = [
        "source": .text { $0.source = $1 },
        "batch_size": .integer(min: 1) { $0.batchSize = $1 },
        "crop_size": .integer { $0.transform.cropSize = $1 },
        "mirror": .flag { $0.transform.mirror = $1 },
        "mean_file": .text { $0.transform.meanFile = $1.isEmpty ? nil : $1 },
        "mean_value": .list({ try parseFloat($0, $1) }) { $0.transform.meanValue = $1 },
        "scale": .number { $0.transform.scale = $1 },
    ]

    static func parseInt(_ key: String, _ value: String, min: Int = 0) throws -> Int {
        let cleaned = value.replacingOccurrences(of: "_", with: "")
        guard let n = Int(cleaned), n >= min else {
            throw OverrideError(message: "--set \(key)=\(value): expected an integer of at least \(min)")
        }
        return n
    }

    static func parseFloat(_ key: String, _ value: String) throws -> Float {
        guard let x = Float(value), x.isFinite else {
            throw OverrideError(message: "--set \(key)=\(value): expected a number such as 0.001 or 1e-4")
        }
        return x
    }

    static func parseBool(_ key: String, _ value: String) throws -> Bool {
        switch value.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw OverrideError(message: "--set \(key)=\(value): expected true or false")
        }
    }

    static func parseList(_ key: String, _ value: String) throws -> [String] {
        var inner = Substring(value.trimmingCharacters(in: .whitespaces))
        if inner.hasPrefix("["), inner.hasSuffix("]") { inner = inner.dropFirst().dropLast() }
        return inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func parseEnum<E: RawRepresentable & CaseIterable>(_ key: String, _ value: String) throws -> E
    where E.RawValue == String {
        if let e = E.allCases.first(where: { $0.rawValue.lowercased() == value.lowercased() }) { return e }
        let choices = E.allCases.map(\.rawValue).joined(separator: ", ")
        throw OverrideError(message: "--set \(key)=\(value): expected one of \(choices)")
    }
}
