import Foundation
import Testing
@testable import Experiments

extension ExperimentsSuite {
    @Suite struct SuccessiveHalvingTests {
        @Test func rungsAreTheFirstTestTimesPowersOfTheRate() {
            let halving = SuccessiveHalving()
            let rungs = (1...3000).filter { halving.isRung($0, first: 100) }
            #expect(rungs == [100, 300, 900, 2700])
            #expect(!halving.isRung(0, first: 100))
            #expect(!halving.isRung(100, first: 0))
        }

        @Test func aRunGoesOnOnlyAmongTheBestPartOnceEnoughRunsReachedTheRung() {
            let halving = SuccessiveHalving()
            #expect(halving.continues(0.1, others: [0.9], lowerIsBetter: false), "fewer runs than the rate: let through")
            #expect(halving.continues(0.9, others: [0.5, 0.6], lowerIsBetter: false))
            #expect(!halving.continues(0.6, others: [0.5, 0.9], lowerIsBetter: false))
            #expect(halving.continues(0.5, others: [0.6, 0.9, 0.7, 0.8, 0.4], lowerIsBetter: true), "the best 2 of 6, lowest first")
            #expect(halving.continues(0.6, others: [0.5, 0.9, 0.7, 0.8, 0.4], lowerIsBetter: true) == false)
        }

        @Test func aHalvingSweepStopsTheWorseRunsAndKeepsThemStopped() throws {
            guard TestData.available else { return }
            try TestData.ensureFashionMNIST()
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let arguments = ["lenet", "--results", results.path, "--iterations", "200", "--parallel", "1", "--halving",
                             "--set", "solver.base_lr=0.02,0.002,0.0002,0.00002", "--set", "solver.test_interval=50",
                             "--set", "solver.test_iter=10", "--seed", "3"]
            let (status, output) = try TestData.capture(binary, arguments)
            #expect(status == 0, "\(output)")
            let record = try SweepRecord.read(results.appendingPathComponent("lenet/sweeps/latest"))
            // One at a time, the first two always go on; of the four, the weakest learning rates
            // (which learn least in 50 iterations) are halted at the first rung.
            #expect(record.runs.map(\.status) == [.finished, .finished, .halted, .halted], "\(output)")
            #expect(record.runs[2].rungs?["50"] != nil)
            #expect(output.contains("run 3/4 halted at iteration 50"))
            let (again, againOutput) = try TestData.capture(binary, arguments)
            #expect(again == 0)
            #expect(againOutput.contains("2 finished, 2 halted, 0 resume from their snapshots, 0 start"), "\(againOutput)")
        }
    }
}
