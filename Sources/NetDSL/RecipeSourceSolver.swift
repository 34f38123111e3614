// A SolverPlan as source: its initialiser for the common settings, `.with { }` for the rest.

extension RecipeSource {
    /// Lines of `SolverPlan(...)` (and `.with { ... }` when needed) starting at column `indent`.
    static func source(of plan: SolverPlan, indent: Int) -> [String] {
        let f = SwiftLiteral.float
        let n: (Int) -> String = { SwiftLiteral.int($0, grouped: true) }
        var args: [String] = []
        if plan.type != .sgd { args.append("type: \(solverType(plan.type))") }
        args.append("baseLR: \(f(plan.baseLR))")
        let policy = plan.policy
        if policy != .fixed { args.append("policy: \(policySource(policy))") }
        if plan.momentum != 0 { args.append("momentum: \(f(plan.momentum))") }
        if plan.weightDecay != 0 { args.append("weightDecay: \(f(plan.weightDecay))") }
        args.append("iterations: \(n(plan.iterations))")
        if plan.testEvery != 0 { args.append("testEvery: \(n(plan.testEvery))") }
        if plan.testIterations != 0 { args.append("testIterations: \(n(plan.testIterations))") }
        if plan.snapshotEvery != 0 { args.append("snapshotEvery: \(n(plan.snapshotEvery))") }
        if plan.display != 0 { args.append("display: \(n(plan.display))") }

        // What the initialiser above gives; every field that still differs is set in `.with`.
        let initial = SolverPlan(type: plan.type, baseLR: plan.baseLR, policy: policy, momentum: plan.momentum,
                                 weightDecay: plan.weightDecay, iterations: plan.iterations,
                                 testEvery: plan.testEvery, testIterations: plan.testIterations,
                                 snapshotEvery: plan.snapshotEvery, display: plan.display)
        var changes: [String] = []
        func set<T: Equatable>(_ path: KeyPath<SolverPlan, T>, _ name: String, _ text: (T) -> String) {
            if plan[keyPath: path] != initial[keyPath: path] { changes.append("$0.\(name) = \(text(plan[keyPath: path]))") }
        }
        set(\.lrPolicy, "lrPolicy") { ".\($0.rawValue)" }
        set(\.gamma, "gamma", f)
        set(\.power, "power", f)
        set(\.stepsize, "stepsize", n)
        set(\.stepvalue, "stepvalue") { "[" + $0.map(n).joined(separator: ", ") + "]" }
        set(\.momentum2, "momentum2", f)
        set(\.delta, "delta", f)
        set(\.rmsDecay, "rmsDecay", f)
        set(\.regularization, "regularization") { $0 == .l2 ? ".l2" : ".l1" }
        set(\.iterSize, "iterSize", n)
        set(\.clipGradients, "clipGradients", f)
        set(\.averageLoss, "averageLoss", n)
        set(\.testAtStart, "testAtStart", SwiftLiteral.bool)
        set(\.snapshotPrefix, "snapshotPrefix") { $0.map(SwiftLiteral.string) ?? "nil" }
        set(\.seed, "seed") { SwiftLiteral.int($0) }
        set(\.warmupIterations, "warmupIterations", n)
        set(\.warmupStart, "warmupStart", f)

        var lines = SourceLayout.call("SolverPlan", args, indent: indent)
        let pad = String(repeating: " ", count: indent + 4)
        if changes.count == 1 {
            lines.append(pad + ".with { \(changes[0]) }")
        } else if !changes.isEmpty {
            lines.append(pad + ".with {")
            lines += changes.map { pad + "    " + $0 }
            lines.append(pad + "}")
        }
        return lines
    }

    static func solverType(_ type: SolverType) -> String {
        switch type {
        case .sgd: ".sgd"
        case .nesterov: ".nesterov"
        case .adaGrad: ".adaGrad"
        case .rmsProp: ".rmsProp"
        case .adaDelta: ".adaDelta"
        case .adam: ".adam"
        }
    }

    static func policySource(_ policy: LRPolicy) -> String {
        let f = SwiftLiteral.float
        let n: (Int) -> String = { SwiftLiteral.int($0, grouped: true) }
        switch policy {
        case .fixed: return ".fixed"
        case .step(let gamma, let every): return ".step(gamma: \(f(gamma)), every: \(n(every)))"
        case .multistep(let gamma, let steps): return ".multistep(gamma: \(f(gamma)), steps: [\(steps.map(n).joined(separator: ", "))])"
        case .exp(let gamma): return ".exp(gamma: \(f(gamma)))"
        case .inv(let gamma, let power): return ".inv(gamma: \(f(gamma)), power: \(f(power)))"
        case .poly(let power): return ".poly(power: \(f(power)))"
        case .sigmoid(let gamma, let step): return ".sigmoid(gamma: \(f(gamma)), step: \(n(step)))"
        }
    }
}
