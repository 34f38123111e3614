import Foundation

/// Line charts of the runs' metrics.csv: one chart per metric (loss, accuracy, then the rest by
/// name), every run in every chart in its own colour, train solid and test dashed, so every run
/// is drawn the same way. As one SVG, or inline in a self-contained HTML page (no scripts).
enum ComparePlot {
    struct Series {
        var run: Int
        var phase: String
        var name: String
        var points: [(x: Double, y: Double)]
    }

    struct Chart {
        var name: String
        var series: [Series]
        var phases: [String] { orderedPhases(Set(series.map(\.phase))) }
    }

    /// Colours that stay apart on white and in print; they repeat after ten runs.
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                          "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    static func color(_ run: Int) -> String { palette[run % palette.count] }

    static func dash(_ phase: String) -> String? {
        switch phase {
        case "train": nil
        case "test": "7 4"
        default: "2 3"
        }
    }

    static func orderedPhases(_ phases: Set<String>) -> [String] {
        phases.sorted { (rank($0), $0) < (rank($1), $1) }
    }

    private static func rank(_ phase: String) -> Int { phase == "train" ? 0 : phase == "test" ? 1 : 2 }

    /// The charts for `runs`: one per metric name, one series per run and phase that has values.
    static func charts(_ runs: [RecordedRun]) -> [Chart] {
        var byName: [String: [Series]] = [:]
        for (i, run) in runs.enumerated() {
            var order: [String] = []
            var points: [String: [(x: Double, y: Double)]] = [:]
            for m in run.metrics {
                let key = "\(m.phase)\u{0}\(m.name)"
                if points[key] == nil { order.append(key) }
                points[key, default: []].append((Double(m.iteration), m.value))
            }
            for key in order {
                let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
                let series = Series(run: i, phase: parts[0], name: parts[1], points: points[key] ?? [])
                guard series.points.contains(where: { $0.y.isFinite }) else { continue }
                byName[series.name, default: []].append(series)
            }
        }
        let first = ["loss", "accuracy"]
        let names = byName.keys.sorted { a, b in
            let ra = first.firstIndex(of: a) ?? first.count, rb = first.firstIndex(of: b) ?? first.count
            return (ra, a) < (rb, b)
        }
        return names.map { name in
            Chart(name: name, series: (byName[name] ?? []).sorted { ($0.run, rank($0.phase), $0.phase) < ($1.run, rank($1.phase), $1.phase) })
        }
    }

    static let width = 680.0
    static let height = 300.0
    private static let left = 70.0, right = 20.0, top = 36.0, bottom = 46.0

    /// Ticks at 1, 2 or 5 times a power of ten covering lo...hi; the first and last bound the axis.
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        var lo = lo, hi = hi
        if hi <= lo {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let raw = (hi - lo) / Double(count)
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let normalized = raw / magnitude
        let step = (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10) * magnitude
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        return stride(from: first, through: last + 0.5, by: 1).map { $0 * step }
    }

    /// A log axis when the values are all positive and span two decades or more (learning rates
    /// that differ by orders of magnitude, a diverging loss), so no run is flattened to a line.
    static func usesLogScale(_ values: [Double]) -> Bool {
        guard let lo = values.min(), let hi = values.max(), lo > 0 else { return false }
        return hi / lo >= 100
    }

    /// Learning rates are drawn on a log axis whenever they are all positive: schedules are
    /// multiplicative, and a step or an inv decay reads as a straight line there.
    static func usesLogScale(_ chart: Chart, values: [Double]) -> Bool {
        if chart.name == "lr", let lo = values.min(), let hi = values.max(), lo > 0, hi > lo { return true }
        return usesLogScale(values)
    }

    /// Powers of ten covering lo...hi, at most about seven of them.
    static func logTicks(_ lo: Double, _ hi: Double) -> [Double] {
        let a = log10(lo).rounded(.down), b = max(log10(hi).rounded(.up), a + 1)
        let step = max(1, ((b - a) / 6).rounded(.up))
        var ticks: [Double] = []
        var k = a
        while true {
            ticks.append(pow(10, k))
            if k >= b { break }
            k += step
        }
        return ticks
    }

    static func tickLabel(_ value: Double, step: Double) -> String {
        let decimals = max(0, Int((-log10(step)).rounded(.up)))
        let text = String(format: "%.\(decimals)f", value)
        return text == "-0" || text.hasPrefix("-0.") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    /// One chart's elements, in a width x height box at the origin.
    /// `iterations` spans the x axis, the same in every chart so they line up.
    /// Runs in `faded` (flagged as not learning) are drawn pale, apart from the rest.
    /// `values`, when given, sets the y axis (small multiples share one).
    static func chartBody(_ chart: Chart, labels: [String], iterations: ClosedRange<Double>? = nil, faded: Set<Int> = [],
                          values: [Double]? = nil) -> String {
        let xs = iterations.map { [$0.lowerBound, $0.upperBound] } ?? chart.series.flatMap { $0.points.map(\.x) }
        let ys = values ?? chart.series.flatMap { $0.points.map(\.y).filter(\.isFinite) }
        let xTicks = ticks(xs.min() ?? 0, xs.max() ?? 1)
        let logScale = usesLogScale(chart, values: ys)
        let yTicks = logScale ? logTicks(ys.min() ?? 1, ys.max() ?? 10) : ticks(ys.min() ?? 0, ys.max() ?? 1)
        let yScale = { (y: Double) -> Double in logScale ? log10(y) : y }
        let x0 = xTicks.first ?? 0, x1 = xTicks.last ?? 1
        let y0 = yScale(yTicks.first ?? 0), y1 = yScale(yTicks.last ?? 1)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * plotWidth }
        func py(_ y: Double) -> Double { top + (1 - (yScale(y) - y0) / (y1 - y0)) * plotHeight }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var out = "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"#fff\"/>\n"
        out += "<text x=\"\(f(left))\" y=\"22\" font-size=\"15\" font-weight=\"bold\">\(escapeXML(chart.name))"
            + (logScale ? "<tspan dx=\"6\" font-size=\"12\" font-weight=\"normal\" fill=\"#555\">(log scale)</tspan>" : "") + "</text>\n"
        // The phase key, right-aligned on the title line.
        var keyX = width - right
        for phase in chart.phases.reversed() {
            let textWidth = Double(phase.count) * 7 + 6
            keyX -= textWidth
            out += "<text x=\"\(f(keyX))\" y=\"22\" font-size=\"12\" fill=\"#333\">\(escapeXML(phase))</text>\n"
            out += "<line x1=\"\(f(keyX - 32))\" y1=\"18\" x2=\"\(f(keyX - 6))\" y2=\"18\" stroke=\"#333\" stroke-width=\"2\""
                + (dash(phase).map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>\n"
            keyX -= 44
        }
        let yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : 1
        for t in yTicks {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(width - right))\" y2=\"\(f(py(t)))\" stroke=\"#e4e4e4\"/>\n"
            out += "<text x=\"\(f(left - 8))\" y=\"\(f(py(t) + 4))\" font-size=\"12\" text-anchor=\"end\" fill=\"#333\">\(logScale ? String(format: "%g", t) : tickLabel(t, step: yStep))</text>\n"
        }
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
        for t in xTicks {
            out += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(height - bottom))\" stroke=\"#e4e4e4\"/>\n"
            out += "<line x1=\"\(f(px(t)))\" y1=\"\(f(height - bottom))\" x2=\"\(f(px(t)))\" y2=\"\(f(height - bottom + 5))\" stroke=\"#333\"/>\n"
            out += "<text x=\"\(f(px(t)))\" y=\"\(f(height - bottom + 19))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\">\(tickLabel(t, step: xStep))</text>\n"
        }
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(height - bottom))\" stroke=\"#333\"/>\n"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(height - bottom))\" x2=\"\(f(width - right))\" y2=\"\(f(height - bottom))\" stroke=\"#333\"/>\n"
        out += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 8))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\">iteration</text>\n"

        for s in chart.series {
            // A non-finite value breaks the line rather than dragging it off the chart.
            var d = ""
            var pen = "M"
            for p in s.points {
                guard p.y.isFinite else { pen = "M"; continue }
                d += "\(pen)\(f(px(p.x))) \(f(py(p.y))) "
                pen = "L"
            }
            let label = s.run < labels.count ? labels[s.run] : "#\(s.run + 1)"
            out += "<path data-run=\"\(escapeXML(label))\" data-series=\"\(escapeXML("\(s.phase)/\(s.name)"))\" d=\"\(d.trimmingCharacters(in: .whitespaces))\" fill=\"none\" stroke=\"\(color(s.run))\" stroke-width=\"2\" stroke-linejoin=\"round\""
                + (dash(s.phase).map { " stroke-dasharray=\"\($0)\"" } ?? "") + (faded.contains(s.run) ? " stroke-opacity=\"0.35\"" : "") + "/>\n"
            // Sparse series (test passes) and lone points get markers, so a single value shows.
            let finite = s.points.filter { $0.y.isFinite }
            if s.phase != "train" || finite.count < 2 {
                for p in finite {
                    out += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"3\" fill=\"\(color(s.run))\"/>\n"
                }
            }
        }
        return out
    }

    static func iterationRange(_ charts: [Chart]) -> ClosedRange<Double>? {
        let xs = charts.flatMap { $0.series.flatMap { $0.points.map(\.x) } }
        guard let lo = xs.min(), let hi = xs.max() else { return nil }
        return lo...hi
    }

    /// The runs' colours with their labels and folder names, one per line.
    /// The runs' colours with their labels and what sets them apart (their captions), one per
    /// line; runs that did not learn say so.
    static func legendBody(_ report: CompareReport) -> (svg: String, height: Double) {
        let runs = report.runs, labels = report.labels, captions = report.captions
        var out = "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(Double(runs.count) * 20 + 10)\" fill=\"#fff\"/>\n"
        for (i, run) in runs.enumerated() {
            let y = Double(i) * 20 + 15
            var name = (captions[i] == run.name ? run.recipe + "/" + run.name : captions[i])
                + (run.didNotLearn != nil ? " (did not learn)" : "")
            if name.count > 80 { name = String(name.prefix(79)) + "…" }
            out += "<line x1=\"\(left - 40)\" y1=\"\(y)\" x2=\"\(left - 10)\" y2=\"\(y)\" stroke=\"\(color(i))\" stroke-width=\"3\"/>\n"
            out += "<text x=\"\(left)\" y=\"\(y + 4)\" font-size=\"12\" fill=\"#222\"><tspan font-weight=\"bold\">\(escapeXML(labels[i]))</tspan>  \(escapeXML(name))</text>\n"
        }
        return (out, Double(runs.count) * 20 + 10)
    }

    private static let svgOpen = "<svg xmlns=\"http://www.w3.org/2000/svg\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""

    /// One SVG: a title, the legend, then every chart, one below the other.
    static func svgDocument(_ report: CompareReport) -> String {
        let charts = charts(report.runs)
        let legend = legendBody(report)
        let titleHeight = 34.0
        let total = titleHeight + legend.height + Double(charts.count) * (height + 12)
        var out = svgOpen + " width=\"\(Int(width))\" height=\"\(Int(total))\" viewBox=\"0 0 \(Int(width)) \(Int(total))\">\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(total)\" fill=\"#fff\"/>\n"
        out += "<text x=\"\(left - 40)\" y=\"24\" font-size=\"17\" font-weight=\"bold\">\(escapeXML(title(report)))</text>\n"
        out += "<g transform=\"translate(0 \(titleHeight))\">\n" + legend.svg + "</g>\n"
        for (i, chart) in charts.enumerated() {
            let y = titleHeight + legend.height + Double(i) * (height + 12)
            out += "<g transform=\"translate(0 \(y))\">\n" + chartBody(chart, labels: report.labels, iterations: iterationRange(charts), faded: report.fadedRuns) + "</g>\n"
        }
        return out + "</svg>\n"
    }

    /// A self-contained page: the tables, the legend and the charts as inline SVG.
    static func htmlDocument(_ report: CompareReport, sweeps: [SweepReport] = []) -> String {
        let charts = charts(report.runs)
        let legend = legendBody(report)
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(escapeXML(title(report)))</title>
            <style>
            body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px; color: #222; }
            h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
            table { border-collapse: collapse; font-size: 13px; }
            th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
            table.left td { white-space: normal; max-width: 24em; overflow-wrap: anywhere; }
            th:first-child, td:first-child, table.left th, table.left td { text-align: left; }
            tr.head th { border-bottom: 2px solid #888; }
            .swatch { display: inline-block; width: 14px; height: 14px; margin-right: 6px; vertical-align: -2px; }
            .charts { display: flex; flex-wrap: wrap; gap: 16px; }
            </style>
            </head>
            <body>
            <h1>\(escapeXML(title(report)))</h1>
            <h2>Runs</h2>
            <table>

            """
        let captions = report.captions
        for (i, run) in report.runs.enumerated() {
            let caption = captions[i] == run.name ? "" : captions[i]
            out += "<tr><th><span class=\"swatch\" style=\"background:\(color(i))\"></span>\(escapeXML(report.labels[i]))</th><td style=\"text-align:left\">\(escapeXML(caption))</td><td style=\"text-align:left\">\(escapeXML(run.folder.path))</td></tr>\n"
        }
        out += "</table>\n"
        let settings = report.settingsTable
        if report.runs.count > 1 {
            out += "<h2>Settings that differ</h2>\n"
            out += settings.rows.isEmpty ? "<p>Every setting is the same in all runs.</p>\n" : settings.html()
        }
        for sweep in sweeps { out += SweepPlot.section(sweep, report: report) }
        out += "<h2>Results</h2>\n" + report.resultsTable.html()
        out += "<h2>Curves</h2>\n"
        out += svgOpen + " width=\"\(Int(width))\" height=\"\(Int(legend.height))\" viewBox=\"0 0 \(Int(width)) \(Int(legend.height))\">\n"
            + legend.svg + "</svg>\n"
        out += "<div class=\"charts\">\n"
        for chart in charts {
            out += svgOpen + " width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">\n"
                + chartBody(chart, labels: report.labels, iterations: iterationRange(charts), faded: report.fadedRuns) + "</svg>\n"
        }
        return out + "</div>\n</body>\n</html>\n"
    }

    static func title(_ report: CompareReport) -> String {
        let recipes = Array(Set(report.runs.map(\.recipe))).sorted()
        let n = report.runs.count
        return "\(n) run\(n == 1 ? "" : "s") of \(recipes.joined(separator: ", "))"
    }
}
