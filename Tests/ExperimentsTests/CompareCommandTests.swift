import Foundation
import Testing
@testable import Experiments

extension ExperimentsSuite {
    /// `experiments compare` on run folders written by hand in the trainer's formats.
    struct CompareCommandTests {
        static func temporaryDirectory() throws -> URL {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("crema-compare-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }

        static func recipe(baseLR: String, trainBatch: Int, overrides: [String]) -> String {
            """
            {
              "net" : { "name" : "LeNet", "layers" : [
                { "data_param" : { "batch_size" : \(trainBatch), "source" : "data/fashion-mnist/train_lmdb",
                    "transform" : { "crop_size" : 0, "mean_value" : [], "mirror" : false, "scale" : 0.00390625 } },
                  "name" : "data", "phase" : "train", "top" : [ "data", "label" ], "type" : "Data" },
                { "data_param" : { "batch_size" : 100, "source" : "data/fashion-mnist/test_lmdb",
                    "transform" : { "crop_size" : 0, "mean_value" : [], "mirror" : false, "scale" : 0.00390625 } },
                  "name" : "data", "phase" : "test", "top" : [ "data", "label" ], "type" : "Data" },
                { "convolution_param" : { "num_output" : 20, "kernel_h" : 5, "kernel_w" : 5,
                    "weight_filler" : { "type" : "xavier" } },
                  "name" : "conv1", "param" : [ { "lr_mult" : 1 }, { "lr_mult" : 2 } ], "type" : "Convolution" }
              ] },
              "overrides" : [ \(overrides.map { "\"\($0)\"" }.joined(separator: ", ")) ],
              "recipe" : "lenet",
              "solver" : { "base_lr" : \(baseLR), "lr_policy" : "inv", "max_iter" : 40, "momentum" : 0.9,
                           "stepvalue" : [], "test_initialization" : true, "type" : "SGD" }
            }
            """
        }

        static let finishedSummary = """
            { "status" : "finished", "summary" : {
                "best_test" : { "accuracy" : { "iteration" : 20, "value" : 0.75 }, "loss" : { "iteration" : 40, "value" : 0.625 } },
                "final_loss" : 0.5, "final_test" : { "accuracy" : 0.703125, "loss" : 0.625 },
                "images_per_second" : 250.25, "iterations" : 40, "seconds" : 12.5 } }
            """

        static let failedSummary = """
            { "status" : "failed", "summary" : {
                "best_test" : { "accuracy" : { "iteration" : 20, "value" : 0.5 } },
                "final_test" : { "accuracy" : 0.5 }, "images_per_second" : 100, "iterations" : 30, "seconds" : 75 },
              "error" : "the loss became NaN at iteration 30" }
            """

        static let metricsA = """
            iteration,seconds,phase,name,value
            0,0.5,test,accuracy,0.1
            0,0.5,test,loss,2.3
            0,0.6,train,loss,2.31
            20,5.0,train,loss,0.9
            20,5.1,test,accuracy,0.75
            20,5.1,test,loss,0.8
            40,12.0,test,accuracy,0.703125
            40,12.0,test,loss,0.625

            """

        static let metricsB = """
            iteration,seconds,phase,name,value
            0,0.5,test,accuracy,0.09
            0,0.6,train,loss,2.29
            20,5.0,train,loss,1.5
            20,5.1,test,accuracy,0.5
            30,9.0,train,loss,nan
            40,12.0,tr
            """

        /// results/lenet/{a,b} and `latest` pointing at b, as the trainer leaves them.
        static func makeRuns(in results: URL) throws -> (a: URL, b: URL) {
            let lenet = results.appendingPathComponent("lenet")
            let a = lenet.appendingPathComponent("2026-01-01T10-00-00-base_lr0.01")
            let b = lenet.appendingPathComponent("2026-01-01T11-00-00-base_lr0.02-batch_size32")
            for (folder, recipe, summary, metrics) in [
                (a, recipe(baseLR: "0.01", trainBatch: 64, overrides: ["solver.max_iter=40", "solver.base_lr=0.01"]), finishedSummary, metricsA),
                (b, recipe(baseLR: "0.02", trainBatch: 32, overrides: ["solver.max_iter=40", "solver.base_lr=0.02", "data.train.batch_size=32"]), failedSummary, metricsB),
            ] {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try Data(recipe.utf8).write(to: folder.appendingPathComponent("recipe.json"))
                try Data(summary.utf8).write(to: folder.appendingPathComponent("summary.json"))
                try Data(metrics.utf8).write(to: folder.appendingPathComponent("metrics.csv"))
            }
            try FileManager.default.createSymbolicLink(atPath: lenet.appendingPathComponent("latest").path,
                                                       withDestinationPath: b.lastPathComponent)
            return (a, b)
        }

        @Test func showsTheSettingsThatDifferAndTheResults() throws {
            let results = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let (a, b) = try Self.makeRuns(in: results)
            let command = try CompareCommand.parseAsRoot(["lenet", "--results", results.path]) as! CompareCommand
            let report = try command.makeReport()
            #expect(report.runs.map(\.folder.lastPathComponent) == [a.lastPathComponent, b.lastPathComponent])

            let settings = report.differingSettings
            // The overrides say nothing the rows above do not: solver.max_iter=40 is in both runs'
            // overrides, and the others have rows of their own.
            #expect(settings.map(\.key) == ["solver.base_lr", "data.train.batch_size"])
            #expect(settings.map(\.values) == [["0.01", "0.02"], ["64", "32"]])

            let table = report.resultsTable
            #expect(table.header == ["run", "status", "iterations", "wall time", "images/s", "train loss",
                                     "test accuracy", "best accuracy", "test loss", "best loss"])
            #expect(table.rows == [
                ["#1 best", "finished", "40", "12.5 s", "250.2", "0.5000", "0.7031", "0.7500 @20", "0.6250", "0.6250 @40"],
                // No final_loss in b's summary: the last train loss it logged, NaN.
                ["#2", "failed", "30", "1:15", "100.0", "nan", "0.5000", "0.5000 @20", "-", "-"],
            ])
            let text = report.text()
            #expect(text.contains("Settings that differ:\n  setting"))
            #expect(text.contains("#2 failed: the loss became NaN at iteration 30"))
            // A failed run is never the best; the ranking output is the test net's first.
            #expect(text.contains("Best by test accuracy (highest): #1, 0.7031"), "\(text)")
            #expect(text.contains("#1  base_lr=0.01, train.batch_size=64  ("), "runs are named by what sets them apart:\n\(text)")
        }

        @Test func runsAreRankedByAnyTestOutputAndThoseThatDidNotLearnStandApart() throws {
            let results = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let (_, b) = try Self.makeRuns(in: results)
            // b finished after all, with a lower test loss, but flagged as not learning.
            try Data("""
                { "status" : "finished", "summary" : { "final_test" : { "accuracy" : 0.9, "loss" : 0.25 }, "iterations" : 40 },
                  "learning" : { "learnt" : false, "reasons" : [ "the training loss did not fall (2.3 at the first iteration, 2.3 at the last)" ] } }
                """.utf8).write(to: b.appendingPathComponent("summary.json"))
            let c = results.appendingPathComponent("lenet/2026-01-01T12-00-00-base_lr0.03")
            try FileManager.default.createDirectory(at: c, withIntermediateDirectories: true)
            try Data(Self.recipe(baseLR: "0.03", trainBatch: 64, overrides: ["solver.base_lr=0.03"]).utf8).write(to: c.appendingPathComponent("recipe.json"))
            try Data("""
                { "status" : "finished", "summary" : { "final_test" : { "accuracy" : 0.6, "loss" : 0.5 }, "iterations" : 40 },
                  "learning" : { "learnt" : true, "reasons" : [] } }
                """.utf8).write(to: c.appendingPathComponent("summary.json"))
            try Data(Self.metricsA.utf8).write(to: c.appendingPathComponent("metrics.csv"))

            let byAccuracy = try (CompareCommand.parseAsRoot(["lenet", "--results", results.path]) as! CompareCommand).makeReport()
            #expect(byAccuracy.best?.index == 0, "0.9 belongs to a run that did not learn")
            let byLoss = try (CompareCommand.parseAsRoot(["lenet", "--results", results.path, "--by", "loss"]) as! CompareCommand).makeReport()
            #expect(byLoss.best?.index == 2, "the lowest loss among runs that learnt: c's 0.5 beats a's 0.625")
            let text = byLoss.text()
            #expect(text.contains("Best by test loss (lowest): #3, 0.5000"), "\(text)")
            #expect(text.contains("Did not learn (left out of the ranking):\n  #2  the training loss did not fall"), "\(text)")
            #expect(byLoss.resultsTable.rows[1][1] == "finished, did not learn")
            #expect(byLoss.resultsTable.rows[2][0] == "#3 best")

            let svg = ComparePlot.svgDocument(byLoss)
            #expect(svg.contains("base_lr=0.02, train.batch_size=32 (did not learn)"), "legends name runs by their settings")
            #expect(svg.contains("data-run=\"#2\"") && svg.contains("stroke-opacity=\"0.35\""), "a run that did not learn is drawn pale")

            let typo = #expect(throws: CLIError.self) {
                try (CompareCommand.parseAsRoot(["lenet", "--results", results.path, "--by", "acuracy"]) as! CompareCommand).makeReport()
            }
            #expect(typo?.message.contains("Did you mean 'accuracy'?") == true, "\(String(describing: typo))")
        }

        @Test func learningRatesAreDrawnOnALogAxis() {
            let chart = ComparePlot.Chart(name: "lr", series: [
                .init(run: 0, phase: "train", name: "lr", points: [(0, 0.01), (100, 0.008), (200, 0.006)])])
            #expect(ComparePlot.usesLogScale(chart, values: [0.01, 0.008, 0.006]))
            #expect(ComparePlot.chartBody(chart, labels: ["#1"]).contains("(log scale)"))
            let loss = ComparePlot.Chart(name: "loss", series: chart.series)
            #expect(!ComparePlot.usesLogScale(loss, values: [0.01, 0.008, 0.006]), "other metrics only when they span decades")
        }

        @Test func runFoldersGivenOneByOneKeepTheirOrderAndAppearOnce() throws {
            let results = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let (a, b) = try Self.makeRuns(in: results)
            let latest = results.appendingPathComponent("lenet/latest")
            let folders = try CompareCommand.runFolders(for: [b.path, a.path, latest.path], results: results)
            #expect(folders.map(\.lastPathComponent) == [b.lastPathComponent, a.lastPathComponent])
        }

        @Test func writesChartsWithOnePathPerRunAndSeries() throws {
            let results = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            _ = try Self.makeRuns(in: results)
            for name in ["curves.html", "curves.svg"] {
                let out = results.appendingPathComponent(name)
                let command = try CompareCommand.parseAsRoot(["lenet", "--results", results.path, "--plot", out.path]) as! CompareCommand
                try command.run()
                let text = try String(contentsOf: out, encoding: .utf8)
                // a: train/loss, test/loss, test/accuracy; b: train/loss, test/accuracy.
                let expected = ["#1 train/loss", "#1 test/loss", "#1 test/accuracy", "#2 train/loss", "#2 test/accuracy"]
                #expect(text.components(separatedBy: "<path ").count - 1 == expected.count, "\(name)")
                for series in expected {
                    let parts = series.split(separator: " ")
                    #expect(text.components(separatedBy: "<path data-run=\"\(parts[0])\" data-series=\"\(parts[1])\"").count == 2,
                            "\(name): \(series)")
                }
                #expect(!text.contains("<script"))
                #expect(text.contains(">loss</text>") && text.contains(">accuracy</text>"))
                // The same axes for both runs: each chart is drawn once, holding both.
                #expect(text.components(separatedBy: ">iteration</text>").count - 1 == 2)
                if name.hasSuffix(".html") {
                    #expect(text.hasPrefix("<!DOCTYPE html>"))
                    #expect(text.contains("<th>solver.base_lr</th>"))
                } else {
                    #expect(text.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
                }
            }
        }

        @Test func aFolderThatIsNotARunIsNamed() throws {
            let results = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let empty = results.appendingPathComponent("not-a-run")
            try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
            #expect {
                _ = try CompareCommand.runFolders(for: [empty.path], results: results)
            } throws: { error in
                "\(error)".contains("\(empty.path) is not a run folder: it has no recipe.json")
            }
            #expect {
                _ = try CompareCommand.runFolders(for: ["nosuchrecipe"], results: results)
            } throws: { error in
                "\(error)".contains("'nosuchrecipe' is neither a run folder nor a recipe")
            }
            try FileManager.default.createDirectory(at: results.appendingPathComponent("lenet"), withIntermediateDirectories: true)
            #expect {
                _ = try CompareCommand.runFolders(for: ["lenet"], results: results)
            } throws: { error in
                "\(error)".contains("no runs of lenet under")
            }
            #expect(throws: (any Error).self) {
                _ = try CompareCommand.parseAsRoot(["lenet", "--plot", "curves.png"])
            }
        }

        @Test func readsMetricsWithQuotedNamesAndACutShortLastLine() throws {
            let points = try RecordedRun.parseMetrics("""
                iteration,seconds,phase,name,value
                10,1.5,train,"loss, smoothed",0.25
                20,2.5,test,accuracy,-nan
                30,3.5,te
                """, name: "metrics.csv")
            #expect(points.count == 2)
            #expect(points[0] == .init(iteration: 10, seconds: 1.5, phase: "train", name: "loss, smoothed", value: 0.25))
            #expect(points[1].value.isNaN)
            #expect(throws: CLIError.self) {
                _ = try RecordedRun.parseMetrics("iteration,seconds,phase,name,value\nx,1,train,loss,1\n10,1,train,loss,1\n", name: "m.csv")
            }
        }

        @Test func ticksAreRoundNumbersCoveringTheData() {
            func labels(_ lo: Double, _ hi: Double) -> [String] {
                let ticks = ComparePlot.ticks(lo, hi)
                return ticks.map { ComparePlot.tickLabel($0, step: ticks[1] - ticks[0]) }
            }
            #expect(labels(0, 60) == ["0", "10", "20", "30", "40", "50", "60"])
            #expect(labels(0.046, 0.74) == ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8"])
            #expect(labels(0.35, 2.4) == ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"])
            // A constant series still gets an axis around its value.
            #expect(labels(5, 5) == ["4.4", "4.6", "4.8", "5.0", "5.2", "5.4", "5.6"])
            #expect(labels(0, 10000) == ["0", "2000", "4000", "6000", "8000", "10000"])
            #expect(ComparePlot.tickLabel(-1e-17, step: 0.1) == "0.0")
        }

        @Test func valuesSpanningDecadesGetALogAxis() {
            #expect(ComparePlot.usesLogScale([0.01, 5]))
            #expect(!ComparePlot.usesLogScale([0.3, 2.3]))
            #expect(!ComparePlot.usesLogScale([0, 0.01, 5]))
            #expect(ComparePlot.logTicks(0.0099, 5) == [0.001, 0.01, 0.1, 1, 10])
            let chart = ComparePlot.Chart(name: "lr", series: [
                .init(run: 0, phase: "train", name: "lr", points: [(0, 5), (10, 4.9)]),
                .init(run: 1, phase: "train", name: "lr", points: [(0, 0.01), (10, 0.0099)]),
            ])
            let svg = ComparePlot.chartBody(chart, labels: ["#1", "#2"])
            #expect(svg.contains("(log scale)"))
            #expect(svg.contains(">0.001</text>") && svg.contains(">10</text>"))
        }

        @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
                       "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
        func comparesTwoLeNetRunsThatDifferInBaseLR() throws {
            let results = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            for lr in ["0.01", "0.02"] {
                let train = try TrainCommand.parseAsRoot(
                    ["lenet", "--iterations", "20", "--seed", "3", "--results", results.path, "--quiet",
                     "--set", "solver.base_lr=\(lr)", "--set", "solver.display=10",
                     "--set", "solver.test_interval=20", "--set", "solver.test_iter=2"]) as! TrainCommand
                try train.run()
            }
            let plot = results.appendingPathComponent("curves.html")
            let command = try CompareCommand.parseAsRoot(["lenet", "--results", results.path, "--plot", plot.path]) as! CompareCommand
            let report = try command.makeReport()
            #expect(report.runs.count == 2)
            #expect(report.differingSettings.map(\.key) == ["solver.base_lr"])
            #expect(report.differingSettings.first?.values == ["0.01", "0.02"])
            #expect(report.resultsTable.rows.map { $0[1] } == ["finished", "finished"])
            #expect(report.resultsTable.header.contains("best accuracy"))
            try CompareCommand.writePlot(report, to: plot.path)
            let html = try String(contentsOf: plot, encoding: .utf8)
            #expect(html.contains("data-run=\"#2\" data-series=\"test/accuracy\""))
        }
    }
}
