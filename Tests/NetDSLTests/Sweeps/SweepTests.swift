import Foundation
import Testing
@testable import NetDSL

@Suite struct SweepTests {
    @Test func theGridIsTheCrossProductLastAxisFastest() throws {
        let sweep = try Sweep(settings: ["solver.max_iter=100", "solver.base_lr=0.01,0.001", "solver.momentum=0.9,0.95"])
        #expect(sweep.isSweep)
        #expect(sweep.varyingKeys == ["solver.base_lr", "solver.momentum"])
        #expect(try sweep.runs().map(\.settings) == [
            ["solver.max_iter=100", "solver.base_lr=0.01", "solver.momentum=0.9"],
            ["solver.max_iter=100", "solver.base_lr=0.01", "solver.momentum=0.95"],
            ["solver.max_iter=100", "solver.base_lr=0.001", "solver.momentum=0.9"],
            ["solver.max_iter=100", "solver.base_lr=0.001", "solver.momentum=0.95"],
        ])
        #expect(try sweep.runs().allSatisfy { $0.seed == nil })
    }

    @Test func oneValueEachIsNotASweep() throws {
        #expect(try Sweep(settings: ["solver.base_lr=0.01"]).isSweep == false)
        #expect(try Sweep(settings: [], seeds: 2).isSweep)
    }

    @Test func seedsRepeatEverySettingInnermost() throws {
        let runs = try Sweep(settings: ["solver.base_lr=0.01,0.001"], seeds: 3, firstSeed: 10).runs()
        #expect(runs.map(\.seed) == [10, 11, 12, 10, 11, 12])
        #expect(runs.map(\.settings) == Array(repeating: ["solver.base_lr=0.01"], count: 3) + Array(repeating: ["solver.base_lr=0.001"], count: 3))
        #expect(try Sweep(settings: [], seeds: 2).runs().map(\.seed) == [1, 2])
        #expect(try Sweep(settings: ["solver.base_lr=0.1,0.2"], firstSeed: 7).runs().map(\.seed) == [7, 7])
    }

    @Test func samplesAreDrawnInTheirRangesAndTheSameEachTime() throws {
        let sweep = try Sweep(settings: ["solver.base_lr=log:1e-4..1e-1", "data.train.batch_size=16..32", "solver.type=sgd,nesterov"], sample: 40)
        let runs = try sweep.runs()
        #expect(runs.count == 40)
        #expect(try sweep.runs() == runs, "the same sweep draws the same settings")
        var rates: [Double] = []
        for run in runs {
            let values = run.settings.map { String($0.drop { $0 != "=" }.dropFirst()) }
            let rate = try #require(Double(values[0]))
            let batch = try #require(Int(values[1]))
            rates.append(rate)
            #expect(rate >= 1e-4 && rate <= 0.1)
            #expect((16...32).contains(batch))
            #expect(["sgd", "nesterov"].contains(values[2]))
        }
        // Log-uniform: about half the draws fall below the geometric middle, 10^-2.5.
        let below = rates.filter { $0 < pow(10, -2.5) }.count
        #expect((10...30).contains(below), "\(below) of 40 below 10^-2.5")
        let other = try Sweep(settings: ["solver.base_lr=log:1e-4..1e-1", "data.train.batch_size=16..32", "solver.type=sgd,nesterov"], sample: 41).runs()
        #expect(Array(other.prefix(40)) != runs, "another sweep draws its own settings")
    }

    @Test func badSweepsAreErrorsBeforeAnythingRuns() throws {
        #expect(throws: SweepError.self) { try Sweep(settings: ["solver.base_lr=0.1", "solver.base_lr=0.2"]) }
        #expect(throws: SweepError.self) { try Sweep(settings: ["solver.base_lr=log:1e-4..1e-1"]).runs() }
        #expect(throws: SweepError.self) { try Sweep(settings: ["solver.base_lr=0.1"], sample: 4).runs() }
        #expect(throws: SweepError.self) { try Sweep(settings: ["solver.base_lr=0.1,0.2"], sample: 0).runs() }
        #expect(throws: SweepError.self) { try Sweep(settings: [], seeds: 0).runs() }
        #expect(throws: SweepError.self) { try Sweep(settings: [], seeds: 2, firstSeed: -1).runs() }
        #expect(throws: SweepError.self) { try Sweep(settings: [], seeds: 2, firstSeed: .max).runs() }
    }

    @Test func aLargeSweepNeedsConfirming() throws {
        let values = (1...9).map { "0.\($0)" }.joined(separator: ",")
        let sweep = try Sweep(settings: ["solver.base_lr=\(values)", "solver.momentum=\(values)"])
        #expect(try sweep.runs().count == 81)
        #expect {
            try sweep.checkSize(confirmed: false)
        } throws: { error in
            (error as? SweepError)?.message.contains("this sweep has 81 runs (9 values of solver.base_lr x 9 values of solver.momentum), more than 64; pass --yes") == true
        }
        try sweep.checkSize(confirmed: true)
    }

    @Test func theFingerprintIsStableAndTellsSweepsApart() throws {
        let a = try Sweep(settings: ["solver.base_lr=0.01,0.001"], seeds: 2)
        let b = try Sweep(settings: ["solver.base_lr=0.01,0.001"], seeds: 2)
        let c = try Sweep(settings: ["solver.base_lr=0.01,0.002"], seeds: 2)
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint != c.fingerprint)
        // FNV-1a's published value for "a", so the digest is the same in every release.
        #expect(Sweep.fnv1a(Foundation.Data("a".utf8)) == 0xaf63dc4c8601ec8c)
    }
}
