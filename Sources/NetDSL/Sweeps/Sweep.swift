import Foundation

/// Many runs of one recipe: every combination of the axes' values (the grid), or `sample` draws
/// from them, each repeated with `seeds` seeds. Plain and serialisable, so a sweep recorded in
/// sweep.json is the same sweep when it is resumed.
public struct Sweep: Codable, Equatable, Sendable {
    /// Every `--set`, in the order given: those with one value hold for every run.
    public var axes: [SweepAxis]
    /// `--seeds N`: each setting is run N times, with seeds `firstSeed`, `firstSeed + 1`, ...
    public var seeds: Int?
    /// `--seed S`: the seed of every run, or the first of `seeds`.
    public var firstSeed: Int64?
    /// `--sample N`: N settings drawn at random (seeded by the sweep itself) instead of the grid.
    public var sample: Int?
    /// The runs a Swift `Experiment` declares, each with its recipe, instead of the axes' grid.
    public var explicit: [Run]? = nil

    /// The most runs a sweep may have unless the user confirms it (`--yes`).
    public static let runLimit = 64

    public init(axes: [SweepAxis], seeds: Int? = nil, firstSeed: Int64? = nil, sample: Int? = nil) {
        self.axes = axes
        self.seeds = seeds
        self.firstSeed = firstSeed
        self.sample = sample
    }

    /// Reads `--set` arguments; a setting named twice is an error.
    public init(settings: [String], seeds: Int? = nil, firstSeed: Int64? = nil, sample: Int? = nil) throws {
        let axes = try settings.map(SweepAxis.parse)
        var seen = Set<String>()
        for axis in axes where !seen.insert(axis.key).inserted {
            throw SweepError("--set \(axis.key) is given twice; list all its values in one --set \(axis.key)=a,b,c")
        }
        self.init(axes: axes, seeds: seeds, firstSeed: firstSeed, sample: sample)
    }

    /// One run: its `key=value` settings, in the axes' order, its seed (nil: the recipe's) and,
    /// in an experiment's, its recipe (nil: the sweep's).
    public struct Run: Codable, Equatable, Sendable {
        public var settings: [String]
        public var seed: Int64?
        public var recipe: String? = nil

        public init(settings: [String], seed: Int64?, recipe: String? = nil) {
            self.settings = settings
            self.seed = seed
            self.recipe = recipe
        }
    }

    /// Whether this asks for more than one run (otherwise it is an ordinary run).
    public var isSweep: Bool {
        explicit != nil || seeds != nil || sample != nil || axes.contains(where: \.varies)
    }

    /// The settings that take more than one value: the axes that do, or the keys an
    /// experiment's runs do not all set alike (with `recipe` first when its recipes differ).
    public var varyingKeys: [String] {
        guard let explicit else { return axes.filter(\.varies).map(\.key) }
        var keys: [String] = []
        var values: [String: Set<String>] = [:]
        for run in explicit {
            for setting in run.settings {
                let key = String(setting.prefix { $0 != "=" })
                if values[key] == nil { keys.append(key) }
                values[key, default: []].insert(String(setting.drop { $0 != "=" }))
            }
        }
        let varying = keys.filter { key in (values[key]?.count ?? 0) > 1 || explicit.contains { !$0.settings.contains { $0.hasPrefix(key + "=") } } }
        return (Set(explicit.map(\.recipe)).count > 1 ? ["recipe"] : []) + varying
    }

    /// The runs, grid order (the last axis fastest) or drawn, seeds innermost; checked before
    /// anything runs.
    public func runs() throws -> [Run] {
        try validate()
        if let seeds {
            guard seeds >= 1 else { throw SweepError("--seeds \(seeds): give 1 or more") }
            if let firstSeed, firstSeed < 0 || firstSeed > Int64.max - Int64(seeds) {
                throw SweepError("--seed \(firstSeed) with --seeds \(seeds): the first seed must be 0 or more (a negative seed means a random one)")
            }
        }
        let settings: [[String]]
        let seedList: [Int64?] = seeds.map { n in (0..<n).map { (firstSeed ?? 1) + Int64($0) } } ?? [firstSeed]
        if let explicit {
            return explicit.flatMap { run in seedList.map { Run(settings: run.settings, seed: $0, recipe: run.recipe) } }
        }
        if let sample {
            guard sample >= 1 else { throw SweepError("--sample \(sample): give 1 or more") }
            guard axes.contains(where: \.varies) else {
                throw SweepError("--sample \(sample) draws settings, but no --set gives a choice: write one as key=a,b,c or key=low..high")
            }
            var generator = SplitMix64(seed: fingerprint)
            settings = (0..<sample).map { _ in axes.map { "\($0.key)=\(Self.draw($0.domain, using: &generator))" } }
        } else {
            var grid: [[String]] = [[]]
            for axis in axes {
                guard case .values(let values) = axis.domain else {
                    throw SweepError("--set \(axis.key): a range is drawn from with --sample N; for a grid, list the values (\(axis.key)=a,b,c)")
                }
                grid = grid.flatMap { prefix in values.map { prefix + ["\(axis.key)=\($0)"] } }
            }
            settings = grid
        }
        return settings.flatMap { s in seedList.map { Run(settings: s, seed: $0) } }
    }

    /// How many runs `runs()` makes, counted without making them (a grid of millions is an
    /// error to print, not a list to build).
    public func count() throws -> Int {
        try validate()
        var total = seeds ?? 1
        let factors = explicit.map { [$0.count] } ?? sample.map { [$0] } ?? axes.map { axis -> Int in
            if case .values(let values) = axis.domain { return values.count }
            return 1
        }
        for factor in factors {
            let (product, overflow) = total.multipliedReportingOverflow(by: factor)
            total = overflow ? .max : product
        }
        return total
    }

    /// Checks what a sweep.json may hold as much as what `--set` parsing does.
    private func validate() throws {
        for axis in axes {
            switch axis.domain {
            case .values(let values):
                guard !values.isEmpty else { throw SweepError("--set \(axis.key) has no values") }
            case .range(let low, let high, let log, let integer):
                guard low.isFinite, high.isFinite, low < high, !log || low > 0,
                      !integer || (Swift.abs(low) <= 1e15 && Swift.abs(high) <= 1e15) else {
                    throw SweepError("--set \(axis.key): the range \(low)..\(high) is empty or out of bounds")
                }
            }
        }
    }

    /// Throws unless the sweep has at most `runLimit` runs or the user confirmed it.
    public func checkSize(confirmed: Bool) throws {
        let count = try count()
        guard count <= Self.runLimit || confirmed else {
            let parts = axes.filter(\.varies).map { axis -> String in
                if case .values(let values) = axis.domain { return "\(values.count) values of \(axis.key)" }
                return axis.key
            } + (seeds.map { ["\($0) seeds"] } ?? [])
            throw SweepError("this sweep has \(count) runs (\(parts.joined(separator: " x "))), more than \(Self.runLimit); pass --yes to run them all, or narrow it (--sample N draws N settings)")
        }
    }

    /// A stable 64-bit digest of the sweep, which seeds `--sample`'s draws and names the sweep.
    public var fingerprint: UInt64 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Self.fnv1a((try? encoder.encode(self)) ?? Foundation.Data())
    }

    /// FNV-1a over bytes: the same everywhere and in every release, unlike `Hasher`.
    public static func fnv1a(_ data: Foundation.Data, _ start: UInt64 = 0xcbf2_9ce4_8422_2325) -> UInt64 {
        var hash = start
        for byte in data {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    static func draw(_ domain: SweepAxis.Domain, using generator: inout SplitMix64) -> String {
        switch domain {
        case .values(let values):
            return values[Int(generator.next() % UInt64(values.count))]
        case .range(let low, let high, let log, let integer):
            let u = Double(generator.next() >> 11) / Double(1 << 53)
            if integer {
                let span = UInt64(high - low) + 1
                return String(Int64(low) + Int64(generator.next() % span))
            }
            let x = log ? Foundation.exp(Foundation.log(low) + u * (Foundation.log(high) - Foundation.log(low)))
                        : low + u * (high - low)
            return String(format: "%.4g", x)
        }
    }
}

/// Steele, Lea and Flood's SplitMix64: small, fast, and the same sequence on every platform.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
