/// A sweep declared in Swift: runs of recipes with typed settings. Put one conforming type in a
/// file under Recipes/ and `experiments <name>` runs it as `--set` sweeps run (side by side,
/// resumed by the same command, compared with `experiments compare`).
///
///     struct LeNetRates: Experiment {
///         static let name = "lenet-lr"
///         var runs: [ExperimentRun] {
///             for rate: Float in [0.02, 0.01] {
///                 ExperimentRun(LeNet.self, .solver(\.baseLR, rate))
///             }
///         }
///     }
public protocol Experiment {
    init()
    /// The command-line name; by default the type name in lower case.
    static var name: String { get }
    /// One line for `experiments list`.
    static var summary: String { get }
    @ExperimentBuilder var runs: [ExperimentRun] { get }
    /// Each run repeated with this many seeds (1, 2, ...); nil runs each once.
    var seeds: Int? { get }
}

extension Experiment {
    public static var name: String { String(describing: Self.self).lowercased() }
    public static var summary: String { "" }
    public var seeds: Int? { nil }
}

/// One run of an experiment: a recipe and the settings that change it.
public struct ExperimentRun {
    public let recipe: any Recipe.Type
    public let settings: [ExperimentSetting]

    public init(_ recipe: any Recipe.Type, _ settings: ExperimentSetting...) {
        self.recipe = recipe
        self.settings = settings
    }

    public init(_ recipe: any Recipe.Type, settings: [ExperimentSetting]) {
        self.recipe = recipe
        self.settings = settings
    }
}

/// A typed setting: a solver field or a Data layer's, by its Swift key path and a value of its
/// type, written as the `--set` it stands for.
public struct ExperimentSetting: Equatable, Sendable {
    /// `key=value`, as `--set` takes it; nil when the field has no `--set` key.
    public let assignment: String?
    /// The field, for the error when it has no key.
    public let field: String

    /// A solver field: `.solver(\.baseLR, 0.01)`.
    public static func solver<V: SettingValue>(_ path: WritableKeyPath<SolverPlan, V>, _ value: V) -> ExperimentSetting {
        ExperimentSetting(assignment: Overrides.key(of: path).map { "\($0)=\(value.settingText)" }, field: "\(path)")
    }

    /// A field of the Data layer of one phase: `.data(.train, \.batchSize, 32)`.
    public static func data<V: SettingValue>(_ phase: Phase, _ path: WritableKeyPath<DataParams, V>, _ value: V) -> ExperimentSetting {
        ExperimentSetting(assignment: Overrides.key(of: path, in: phase).map { "\($0)=\(value.settingText)" }, field: "\(path)")
    }
}

/// A value a typed setting can take, written as `--set` reads it.
public protocol SettingValue { var settingText: String { get } }

extension Float: SettingValue { public var settingText: String { description } }
extension Int: SettingValue { public var settingText: String { String(self) } }
extension Int64: SettingValue { public var settingText: String { String(self) } }
extension Bool: SettingValue { public var settingText: String { self ? "true" : "false" } }
extension String: SettingValue { public var settingText: String { self } }
extension Optional: SettingValue where Wrapped == String { public var settingText: String { self ?? "" } }
extension Array: SettingValue where Element: SettingValue { public var settingText: String { "[" + map(\.settingText).joined(separator: ",") + "]" } }
extension SolverType: SettingValue { public var settingText: String { rawValue } }
extension LRPolicyName: SettingValue { public var settingText: String { rawValue } }
extension Regularization: SettingValue { public var settingText: String { rawValue } }

/// Builds an experiment's runs; `for` and `if` work as in any Swift.
@resultBuilder
public enum ExperimentBuilder {
    public static func buildExpression(_ run: ExperimentRun) -> [ExperimentRun] { [run] }
    public static func buildExpression(_ runs: [ExperimentRun]) -> [ExperimentRun] { runs }
    public static func buildBlock(_ parts: [ExperimentRun]...) -> [ExperimentRun] { parts.flatMap { $0 } }
    public static func buildArray(_ parts: [[ExperimentRun]]) -> [ExperimentRun] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [ExperimentRun]?) -> [ExperimentRun] { part ?? [] }
    public static func buildEither(first: [ExperimentRun]) -> [ExperimentRun] { first }
    public static func buildEither(second: [ExperimentRun]) -> [ExperimentRun] { second }
}

extension Sweep {
    /// The experiment's runs as a sweep, or the first problem with them.
    public init<E: Experiment>(experiment: E.Type, extra: [String] = []) throws {
        let instance = E()
        var runs: [Run] = []
        for run in instance.runs {
            var settings: [String] = []
            for setting in run.settings {
                guard let assignment = setting.assignment else {
                    throw SweepError("experiment \(E.name) sets \(setting.field), which has no --set key; set a solver or Data field that `experiments <recipe> --set` takes")
                }
                settings.append(assignment)
            }
            runs.append(Run(settings: extra + settings, seed: nil, recipe: run.recipe.name))
        }
        guard !runs.isEmpty else { throw SweepError("experiment \(E.name) declares no runs") }
        self.init(axes: [], seeds: instance.seeds)
        explicit = runs
    }
}
