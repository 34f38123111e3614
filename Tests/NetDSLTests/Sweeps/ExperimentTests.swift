import Testing
@testable import NetDSL
@testable import Recipes

@Suite struct ExperimentTests {
    struct Rates: Experiment {
        static let name = "rates"
        var includeAdam = true
        var runs: [ExperimentRun] {
            for rate: Float in [0.1, 0.01] {
                ExperimentRun(LeNet.self, .solver(\.baseLR, rate), .data(.train, \.batchSize, 32))
            }
            if includeAdam {
                ExperimentRun(LeNet.self, .solver(\.type, .adam), .solver(\.stepvalue, [100, 200]), .data(.train, \.transform.mirror, true))
            }
        }
        var seeds: Int? { 2 }
    }

    @Test func typedSettingsAreWrittenAsTheirSetKeys() {
        #expect(ExperimentSetting.solver(\.baseLR, 0.01).assignment == "solver.base_lr=0.01")
        #expect(ExperimentSetting.solver(\.type, .adam).assignment == "solver.type=Adam")
        #expect(ExperimentSetting.solver(\.iterations, 500).assignment == "solver.max_iter=500")
        #expect(ExperimentSetting.solver(\.snapshotPrefix, "lenet").assignment == "solver.snapshot_prefix=lenet")
        #expect(ExperimentSetting.data(.test, \.transform.meanValue, [104, 117]).assignment == "data.test.mean_value=[104.0,117.0]")
    }

    @Test func everySettingFindsItsKeyFromItsKeyPath() {
        for (name, setting) in Overrides.solverSettings {
            #expect(Overrides.key(of: setting.path) == "solver.\(name)")
        }
        for (name, setting) in Overrides.dataSettings {
            #expect(Overrides.key(of: setting.path, in: .train) == "data.train.\(name)")
        }
    }

    @Test func anExperimentIsASweepOfItsRunsWithForAndIf() throws {
        let sweep = try Sweep(experiment: Rates.self, extra: ["solver.max_iter=50"])
        let runs = try sweep.runs()
        #expect(runs.count == 6)
        #expect(runs.map(\.seed) == [1, 2, 1, 2, 1, 2])
        #expect(runs.allSatisfy { $0.recipe == "lenet" && $0.settings.first == "solver.max_iter=50" })
        #expect(runs[0].settings == ["solver.max_iter=50", "solver.base_lr=0.1", "data.train.batch_size=32"])
        #expect(sweep.varyingKeys == ["solver.base_lr", "data.train.batch_size", "solver.type", "solver.stepvalue", "data.train.mirror"])
        // Every setting applies as --set would.
        for run in runs {
            var net = LeNet().net.spec
            var plan = LeNet().solver
            for setting in run.settings { try Overrides.apply(setting, net: &net, solver: &plan) }
        }
        #expect(try sweep.count() == 6)
    }
}
