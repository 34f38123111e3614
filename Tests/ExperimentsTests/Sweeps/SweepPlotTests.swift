import Foundation
import Testing
@testable import Experiments
@testable import Runtime

extension ExperimentsSuite {
    @Suite(.serialized, .enabled(if: TestData.available, "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
    struct SweepPlotTests {
        @Test func thePageDrawsTheSweepAndABrowserRendersIt() throws {
            try TestData.ensureFashionMNIST()
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let results = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: results) }
            let (status, output) = try TestData.capture(binary, [
                "lenet", "--results", results.path, "--iterations", "100", "--parallel", "2", "--quiet",
                "--set", "solver.base_lr=0.02,0.0002", "--set", "solver.test_interval=50", "--set", "solver.test_iter=10"])
            #expect(status == 0, "\(output)")
            let sweep = results.appendingPathComponent("lenet/sweeps/latest")
            let page = results.appendingPathComponent("sweep.html")
            let (compared, text) = try TestData.capture(binary, ["compare", sweep.path, "--plot", page.path])
            #expect(compared == 0, "\(text)")
            let html = try String(contentsOf: page, encoding: .utf8)
            #expect(html.contains("<h2>Sweep base_lr-"))
            #expect(html.components(separatedBy: "class=\"pc-run\"").count - 1 == 2, "one line per run")
            #expect(html.components(separatedBy: "class=\"pc-axis\"").count - 1 == 2, "an axis for base_lr and one for the score")
            #expect(html.components(separatedBy: "class=\"multiple\"").count - 1 == 2, "a small chart per run")
            #expect(html.contains("<b>Winner:</b> base_lr=0.02"))
            #expect(!html.contains("<script"), "the page needs no scripts and no network")

            // In a real browser: the parallel coordinates alone, as Chromium draws them.
            guard let chromium = try TestData.chromium() else { return }
            let report = try CompareCommand.parse([sweep.path]).makeReport()
            let sweepReport = try SweepReport.load(sweep.resolvingSymlinksInPath())
            let svg = "<!DOCTYPE html><html><body style=\"margin:0\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"680\" height=\"330\">"
                + SweepPlot.parallelCoordinates(sweepReport, report: report) + "</svg></body></html>"
            let only = results.appendingPathComponent("parallel.html")
            try Data(svg.utf8).write(to: only)
            let shot = results.appendingPathComponent("parallel.png")
            let (rendered, log) = try TestData.capture(chromium, [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=680,330",
                "--screenshot=\(shot.path)", only.absoluteString])
            #expect(rendered == 0, "\(log.suffix(2000))")
            let image = try PNG.decode(try Data(contentsOf: shot), source: shot.path)
            // Each run's line in its colour (the compare page's #1 and #2), and the dark axes.
            func count(_ r: Int, _ g: Int, _ b: Int) -> Int {
                stride(from: 0, to: image.pixels.count - 2, by: image.channels).filter { i in
                    image.channels == 3 && abs(Int(image.pixels[i]) - r) < 24 && abs(Int(image.pixels[i + 1]) - g) < 24 && abs(Int(image.pixels[i + 2]) - b) < 24
                }.count
            }
            #expect(count(0x1f, 0x77, 0xb4) > 200, "run #1's line is drawn")
            #expect(count(0xd6, 0x27, 0x28) > 200, "run #2's line is drawn")
            let dark = stride(from: 0, to: image.pixels.count - 2, by: image.channels).filter { i in image.pixels[i] < 150 && image.pixels[i + 1] < 150 && image.pixels[i + 2] < 150 }.count
            #expect(dark > 300, "the axes and their labels are drawn (\(dark) dark pixels)")
        }
    }
}
