import Foundation
import NetDSL
import Testing
@testable import Runtime

@Suite struct ZZSolverBenchTmp {
    @Test func bench() throws {
        let n = 61_000_000
        for type in SolverType.allCases {
            let t = Tensor(shape: [n])
            let p = Parameter(key: "w", layerName: "w", index: 0, tensor: t, lrMult: 1, decayMult: 1)
            var plan = SolverPlan(type: type, baseLR: 0.01, momentum: type == .adaGrad || type == .rmsProp ? 0 : 0.9, weightDecay: 0.0005, iterations: 10)
            plan.clipGradients = 10
            let s = try Solver(plan: plan, parameters: [p])
            s.step(iteration: 0)
            let start = Date()
            for i in 1...3 { s.step(iteration: i) }
            print("BENCH \(type) \(Date().timeIntervalSince(start) / 3) s/step  threads \(Parallel.threads)")
        }
    }
}
