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
        solverSetters.keys.sorted().map { "solver.\($0)" }
            + Phase.allCases.flatMap { phase in dataSetters.keys.sorted().map { "data.\(phase.rawValue).\($0)" } }
    }

    /// Applies `key=value` to the net or the solver plan.
    public static func apply(_ assignment: String, net: inout NetSpec, solver: inout SolverPlan) throws {
        guard let eq = assignment.firstIndex(of: "=") else {
            throw OverrideError(message: "--set '\(assignment)' is not of the form key=value (e.g. --set solver.base_lr=0.001)")
        }
        let key = String(assignment[..<eq]).trimmingCharacters(in: .whitespaces)
        let value = String(assignment[assignment.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2, parts[0] == "solver", let setter = solverSetters[parts[1]] {
            try setter(&solver, key, value)
            return
        }
        if parts.count == 3, parts[0] == "data", let phase = Phase(rawValue: parts[1]),
           let setter = dataSetters[parts[2]] {
            guard let index = net.dataLayerIndex(in: phase), case .data(var params) = net.layers[index].kind else {
                throw OverrideError(message: "--set \(key): the \(phase) net has no Data layer")
            }
            try setter(&params, key, value)
            net.layers[index].kind = .data(params)
            return
        }
        throw OverrideError(message: "unknown setting '\(key)'.\(Suggestions.didYouMean(key, among: knownKeys)) Settings that exist:\n  "
                            + knownKeys.joined(separator: "\n  "))
    }

    typealias Setter<T> = (inout T, String, String) throws -> Void

    static let solverSetters: [String: Setter<SolverPlan>] = [
        "type": { s, k, v in s.type = try parseEnum(k, v) },
        "base_lr": { s, k, v in s.baseLR = try parseFloat(k, v) },
        "lr_policy": { s, k, v in s.lrPolicy = try parseEnum(k, v) },
        "gamma": { s, k, v in s.gamma = try parseFloat(k, v) },
        "power": { s, k, v in s.power = try parseFloat(k, v) },
        "stepsize": { s, k, v in s.stepsize = try parseInt(k, v) },
        "stepvalue": { s, k, v in s.stepvalue = try parseList(k, v).map { try parseInt(k, $0) } },
        "momentum": { s, k, v in s.momentum = try parseFloat(k, v) },
        "momentum2": { s, k, v in s.momentum2 = try parseFloat(k, v) },
        "delta": { s, k, v in s.delta = try parseFloat(k, v) },
        "rms_decay": { s, k, v in s.rmsDecay = try parseFloat(k, v) },
        "weight_decay": { s, k, v in s.weightDecay = try parseFloat(k, v) },
        "regularization_type": { s, k, v in s.regularization = try parseEnum(k, v) },
        "max_iter": { s, k, v in s.iterations = try parseInt(k, v) },
        "iter_size": { s, k, v in s.iterSize = try parseInt(k, v, min: 1) },
        "clip_gradients": { s, k, v in s.clipGradients = try parseFloat(k, v) },
        "display": { s, k, v in s.display = try parseInt(k, v) },
        "average_loss": { s, k, v in s.averageLoss = try parseInt(k, v, min: 1) },
        "test_interval": { s, k, v in s.testEvery = try parseInt(k, v) },
        "test_iter": { s, k, v in s.testIterations = try parseInt(k, v) },
        "test_initialization": { s, k, v in s.testAtStart = try parseBool(k, v) },
        "snapshot": { s, k, v in s.snapshotEvery = try parseInt(k, v) },
        "snapshot_prefix": { s, _, v in s.snapshotPrefix = v },
        "random_seed": { s, k, v in
            guard let n = Int64(v) else { throw OverrideError(message: "--set \(k)=\(v): expected an integer") }
            s.seed = n
        },
    ]

    static let dataSetters: [String: Setter<DataParams>] = [
        "source": { d, _, v in d.source = v },
        "batch_size": { d, k, v in d.batchSize = try parseInt(k, v, min: 1) },
        "crop_size": { d, k, v in d.transform.cropSize = try parseInt(k, v) },
        "mirror": { d, k, v in d.transform.mirror = try parseBool(k, v) },
        "mean_file": { d, _, v in d.transform.meanFile = v.isEmpty ? nil : v },
        "mean_value": { d, k, v in d.transform.meanValue = try parseList(k, v).map { try parseFloat(k, $0) } },
        "scale": { d, k, v in d.transform.scale = try parseFloat(k, v) },
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
        value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func parseEnum<E: RawRepresentable & CaseIterable>(_ key: String, _ value: String) throws -> E
    where E.RawValue == String {
        if let e = E.allCases.first(where: { $0.rawValue.lowercased() == value.lowercased() }) { return e }
        let choices = E.allCases.map(\.rawValue).joined(separator: ", ")
        throw OverrideError(message: "--set \(key)=\(value): expected one of \(choices)")
    }
}
