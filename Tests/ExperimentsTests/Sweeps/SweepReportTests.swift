import Foundation
import Testing
@testable import Experiments
import NetDSL

extension ExperimentsSuite {
    @Suite struct SweepReportTests {
        /// A record of a 2x1 sweep with two seeds: run numbers 1...4, with these statuses and accuracies.
        static func record(_ outcomes: [(SweepRunStatus, Double?)], output: String = "accuracy") throws -> SweepRecord {
            let job = SweepJob(recipe: "lenet", source: ["lenet"], shared: [],
                               sweep: try Sweep(settings: ["solver.max_iter=100", "solver.base_lr=0.01,0.001"], seeds: 2))
            var record = SweepRecord(job: job, runs: try job.sweep.runs())
            for (i, outcome) in outcomes.enumerated() {
                record.runs[i].status = outcome.0
                record.runs[i].finalTest = outcome.1.map { [output: $0] }
            }
            return record
        }

        @Test func settingsAreRankedByTheirMeanOverSeedsWithTheirSpread() throws {
            let record = try Self.record([(.finished, 0.70), (.finished, 0.72), (.finished, 0.80), (.finished, 0.84)])
            let report = SweepReport(record: record, runs: [:], rankBy: "accuracy")
            let rows = report.rows
            #expect(rows.map(\.values) == [["0.001"], ["0.01"]])
            #expect(abs((rows[0].mean ?? 0) - 0.82) < 1e-12)
            #expect(abs((rows[0].spread ?? 0) - (0.0008).squareRoot()) < 1e-12)
            #expect(rows[0].numbers == [3, 4])
            let text = report.text()
            #expect(text.contains("accuracy (mean ± sd)"))
            #expect(text.contains("Winner: base_lr=0.001, test accuracy 0.8200 over 2 seeds"))
            #expect(text.contains("1 *"))
            #expect(!text.contains("max_iter"), "a setting every run shares is not a column:\n\(text)")
        }

        @Test func aLossRanksLowestFirst() throws {
            let record = try Self.record([(.finished, 0.5), (.finished, 0.5), (.finished, 0.9), (.finished, 0.9)], output: "loss")
            let report = SweepReport(record: record, runs: [:], rankBy: "loss")
            #expect(report.winner?.values == ["0.01"])
        }

        @Test func onlyFinishedRunsCountAndUnfinishedSettingsComeLast() throws {
            let record = try Self.record([(.stopped, 0.99), (.waiting, nil), (.finished, 0.6), (.failed, nil)])
            let report = SweepReport(record: record, runs: [:], rankBy: "accuracy")
            #expect(report.rows.map(\.values) == [["0.001"], ["0.01"]])
            #expect(report.rows[0].scores == [0.6])
            #expect(report.rows[1].mean == nil)
            let text = report.text()
            #expect(text.contains("1/2 finished, 1 failed (#3, #4)"), "\(text)")
            #expect(text.contains("0/2 finished, 1 stopped, 1 waiting (#1, #2)"), "\(text)")
            #expect(text.contains("Run #4 failed"))
        }

        @Test func theCommandRecreatesTheSweep() throws {
            let job = SweepJob(recipe: "lenet", source: ["lenet"], shared: ["--weights", "/tmp/a b.caffemodel"],
                               sweep: try Sweep(settings: ["solver.stepvalue=[100,200],[300]", "solver.base_lr=log:0.0001..0.1"], seeds: 2, sample: 3))
            #expect(job.command == "experiments lenet --weights '/tmp/a b.caffemodel' --set 'solver.stepvalue=[100,200],[300]' --set solver.base_lr=log:0.0001..0.1 --seeds 2 --sample 3", "brackets are quoted from the shell's globbing")
            let words = ["--set", "solver.stepvalue=[100,200],[300]", "--set", "solver.base_lr=log:0.0001..0.1"]
            let settings = stride(from: 1, to: words.count, by: 2).map { words[$0] }
            #expect(try Sweep(settings: settings, seeds: 2, sample: 3) == job.sweep)
            #expect(job.id.hasPrefix("sample3-stepvalue+base_lr+seeds2-"))
        }

        @Test func sweepJSONReadsBackAsTheSameSweep() throws {
            let folder = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let job = SweepJob(recipe: "lenet", source: ["lenet"], shared: [],
                               sweep: try Sweep(settings: ["solver.base_lr=log:1e-4..1e-1"], seeds: 2, firstSeed: 5, sample: 3), halving: true)
            var record = SweepRecord(job: job, runs: try job.sweep.runs())
            record.runs[0].rungs = ["50": 0.5]
            record.runs[0].earlier = ["a"]
            try record.write(to: folder)
            let read = try SweepRecord.read(folder)
            #expect(read.job == job)
            #expect(read.job.id == job.id)
            #expect(read.runs.map(\.settings) == record.runs.map(\.settings))
            #expect(read.runs.map(\.seed) == [5, 6, 5, 6, 5, 6])
            #expect(read.runs[0].rungs == ["50": 0.5])
            #expect(read.runs[0].earlier == ["a"])
        }

        @Test func coresAreSharedBetweenTheRunsAtATime() throws {
            #expect(try SweepRunner.shares(runs: 6, parallel: nil, threads: nil, cores: 8) == (6, 1))
            #expect(try SweepRunner.shares(runs: 2, parallel: nil, threads: nil, cores: 8) == (2, 4))
            #expect(try SweepRunner.shares(runs: 6, parallel: 2, threads: nil, cores: 8) == (2, 4))
            #expect(try SweepRunner.shares(runs: 6, parallel: nil, threads: 4, cores: 8) == (2, 4))
            #expect(try SweepRunner.shares(runs: 6, parallel: nil, threads: 16, cores: 8) == (1, 16))
            #expect(throws: CLIError.self) { try SweepRunner.shares(runs: 6, parallel: 0, threads: nil) }
        }
    }
}
