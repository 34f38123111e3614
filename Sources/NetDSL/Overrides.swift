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

    /// One settable field: its kind and the property it sets, declared beside how a value is
    /// parsed and applied. The key path is how typed settings (`ExperimentSetting`) find the
    /// field's Caffe name, so both spellings come from this one table.
    struct Setting<T> {
        let kind: Kind
        let path: PartialKeyPath<T>
        let apply: (inout T, String, String) throws -> Void

        static func integer(_ path: WritableKeyPath<T, Int>, min: Int = 0) -> Setting {
            Setting(kind: .integer, path: path) { t, k, v in t[keyPath: path] = try parseInt(k, v, min: min) }
        }
        static func number(_ path: WritableKeyPath<T, Float>) -> Setting {
            Setting(kind: .number, path: path) { t, k, v in t[keyPath: path] = try parseFloat(k, v) }
        }
        static func flag(_ path: WritableKeyPath<T, Bool>) -> Setting {
            Setting(kind: .flag, path: path) { t, k, v in t[keyPath: path] = try parseBool(k, v) }
        }
        static func text(_ path: WritableKeyPath<T, String>) -> Setting {
            Setting(kind: .text, path: path) { t, _, v in t[keyPath: path] = v }
        }
        /// An empty value clears it.
        static func text(_ path: WritableKeyPath<T, String?>) -> Setting {
            Setting(kind: .text, path: path) { t, _, v in t[keyPath: path] = v.isEmpty ? nil : v }
        }
        static func choice<E: RawRepresentable & CaseIterable>(_ path: WritableKeyPath<T, E>) -> Setting
        where E.RawValue == String {
            Setting(kind: .choice(E.allCases.map(\.rawValue)), path: path) { t, k, v in t[keyPath: path] = try parseEnum(k, v) }
        }
        static func list<V>(_ path: WritableKeyPath<T, [V]>, _ element: @escaping (String, String) throws -> V) -> Setting {
            Setting(kind: .list, path: path) { t, k, v in t[keyPath: path] = try parseList(k, v).map { try element(k, $0) } }
        }
    }

    static let solverSettings: [String: Setting<SolverPlan>] = [
        "type": .choice(\.type),
        "base_lr": .number(\.baseLR),
        "lr_policy": .choice(\.lrPolicy),
        "gamma": .number(\.gamma),
        "power": .number(\.power),
        "stepsize": .integer(\.stepsize),
        "stepvalue": .list(\.stepvalue) { try parseInt($0, $1) },
        "momentum": .number(\.momentum),
        "momentum2": .number(\.momentum2),
        "delta": .number(\.delta),
        "rms_decay": .number(\.rmsDecay),
        "weight_decay": .number(\.weightDecay),
        "regularization_type": .choice(\.regularization),
        "max_iter": .integer(\.iterations),
        "iter_size": .integer(\.iterSize, min: 1),
        "clip_gradients": .number(\.clipGradients),
        "display": .integer(\.display),
        "average_loss": .integer(\.averageLoss, min: 1),
        "test_interval": .integer(\.testEvery),
        "test_iter": .integer(\.testIterations),
        "test_initialization": .flag(\.testAtStart),
        "snapshot": .integer(\.snapshotEvery),
        "snapshot_prefix": .text(\.snapshotPrefix),
        // Not Caffe's: a linear warm-up of the learning rate (SolverPlan.Warmup).
        "warmup_iter": .integer(\.warmupIterations),
        "warmup_start": .number(\.warmupStart),
        // -1 (Caffe's default) draws a seed at the start of the run.
        "random_seed": Setting(kind: .integer, path: \.seed) { s, k, v in
            guard let n = Int64(v.replacingOccurrences(of: "_", with: "")) else {
                throw OverrideError(message: "--set \(k)=\(v): expected an integer")
            }
            s.seed = n
        },
    ]

    static let dataSettings: [String: Setting<DataParams>] = [
        "source": .text(\.source),
        "batch_size": .integer(\.batchSize, min: 1),
        "crop_size": .integer(\.transform.cropSize),
        "mirror": .flag(\.transform.mirror),
        "mean_file": .text(\.transform.meanFile),
        "mean_value": .list(\.transform.meanValue) { try parseFloat($0, $1) },
        "scale": .number(\.transform.scale),
        // Not Caffe's: skip a record that cannot be read rather than stop (RecordErrorPolicy).
        "on_error": .choice(\.recordErrors),
    ]

    /// The `--set` key of a solver field, e.g. `solver.base_lr` for `\.baseLR`.
    public static func key(of path: PartialKeyPath<SolverPlan>) -> String? {
        solverSettings.first { $0.value.path == path }.map { "solver.\($0.key)" }
    }

    /// The `--set` key of a Data layer field in `phase`, e.g. `data.train.batch_size`.
    public static func key(of path: PartialKeyPath<DataParams>, in phase: Phase) -> String? {
        dataSettings.first { $0.value.path == path }.map { "data.\(phase.rawValue).\($0.key)" }
    }

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
