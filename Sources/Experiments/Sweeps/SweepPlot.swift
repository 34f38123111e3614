import Foundation

/// A sweep on the compare page: its table, a parallel-coordinates view of the settings against
/// the ranking score, and each run's curve as a small multiple on shared axes. Plain SVG, no
/// scripts, in the colours the page's other charts give the same runs.
enum SweepPlot {
    static let width = 680.0, height = 330.0
    private static let top = 48.0, bottom = 36.0, side = 80.0

    static func section(_ sweep: SweepReport, report: CompareReport) -> String {
        var out = "<h2>Sweep \(escapeXML(sweep.record.id))</h2>\n"
        out += "<p>\(escapeXML(sweep.record.command))</p>\n"
        out += sweep.table().html()
        if let winner = sweep.winner, let output = sweep.output, let mean = winner.mean {
            out += "<p><b>Winner:</b> " + escapeXML(zip(sweep.keys, winner.values).map { "\(CompareReport.shortKey($0))=\($1)" }.joined(separator: " "))
                + " (test \(escapeXML(output)) \(CompareReport.number(mean)))</p>\n"
        }
        out += "<h3>Settings against test \(escapeXML(sweep.output ?? "score"))</h3>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"parallel\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
            + parallelCoordinates(sweep, report: report) + "</svg>\n"
        out += smallMultiples(sweep, report: report)
        return out
    }

    /// The index in `report.runs` (and so the colour) of each of the sweep's runs, by number.
    static func colourIndex(_ sweep: SweepReport, report: CompareReport) -> [Int: Int] {
        var byFolder: [String: Int] = [:]
        for (i, run) in report.runs.enumerated() { byFolder[run.folder.standardizedFileURL.path] = i }
        var out: [Int: Int] = [:]
        for (number, run) in sweep.runs {
            if let i = byFolder[run.folder.standardizedFileURL.path] { out[number] = i }
        }
        return out
    }

    /// One vertical axis per setting that varies, then the score; one line per run.
    static func parallelCoordinates(_ sweep: SweepReport, report: CompareReport) -> String {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        let keys = sweep.keys
        let runs = sweep.record.runs
        let values: [[String]] = runs.map { run in sweep.record.varying(run).map { String($0.drop { $0 != "=" }.dropFirst()) } }
        let scores: [Double?] = runs.map { run in
            guard run.status == .finished, let output = sweep.output else { return nil }
            return (sweep.runs[run.number]?.summary?.summary?.finalTest?[output] ?? run.finalTest?[output]).flatMap { $0.isFinite ? $0 : nil }
        }
        let axisCount = keys.count + 1
        let gap = axisCount > 1 ? (width - 2 * side) / Double(axisCount - 1) : 0
        let axisX = (0..<axisCount).map { side + Double($0) * gap }
        let plotHeight = height - top - bottom
        // Where a value sits on its axis, 0 at the bottom to 1 at the top.
        var positions: [(String) -> Double?] = []
        var out = "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"#fff\"/>\n"
        // Drawn over the lines, so that no line hides a value.
        var axes = ""
        for (a, key) in keys.enumerated() {
            let column = values.map { a < $0.count ? $0[a] : "" }
            let distinct = Array(Set(column)).sorted { (Double($0) ?? .infinity, $0) < (Double($1) ?? .infinity, $1) }
            let numbers = distinct.compactMap(Double.init)
            let position: (String) -> Double?
            var labels: [(String, Double)] = []
            if numbers.count == distinct.count, numbers.count > 1, let lo = numbers.min(), let hi = numbers.max(), hi > lo {
                let log = ComparePlot.usesLogScale(numbers)
                let scale = { (x: Double) in log ? Foundation.log10(x) : x }
                position = { Double($0).map { (scale($0) - scale(lo)) / (scale(hi) - scale(lo)) } }
                // Every value when they are few, else the ends.
                for value in distinct.count <= 8 ? distinct : [distinct[0], distinct[distinct.count - 1]] {
                    labels.append((value, position(value) ?? 0))
                }
            } else {
                let step = distinct.count > 1 ? 1 / Double(distinct.count - 1) : 0
                let index = Dictionary(uniqueKeysWithValues: distinct.enumerated().map { ($1, Double($0)) })
                position = { v in index[v].map { distinct.count > 1 ? $0 * step : 0.5 } }
                labels = distinct.map { ($0, position($0) ?? 0.5) }
            }
            positions.append(position)
            axes += axis(x: axisX[a], title: CompareReport.shortKey(key), labels: labels)
        }
        let finite = scores.compactMap { $0 }
        let ticks = ComparePlot.ticks(finite.min() ?? 0, finite.max() ?? 1, count: 4)
        let lo = ticks.first ?? 0, hi = ticks.last ?? 1
        let scorePosition = { (y: Double) in hi > lo ? (y - lo) / (hi - lo) : 0.5 }
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        axes += axis(x: axisX[keys.count], title: "test " + (sweep.output ?? "score"),
                    labels: ticks.map { (ComparePlot.tickLabel($0, step: step), scorePosition($0)) })
        let colours = colourIndex(sweep, report: report)
        let winner = sweep.winner.map(\.numbers) ?? []
        for (r, run) in runs.enumerated() {
            var points: [(Double, Double)] = []
            for a in keys.indices {
                guard a < values[r].count, let p = positions[a](values[r][a]) else { continue }
                points.append((axisX[a], top + (1 - p) * plotHeight))
            }
            if let score = scores[r] { points.append((axisX[keys.count], top + (1 - scorePosition(score)) * plotHeight)) }
            guard !points.isEmpty else { continue }
            let colour = colours[run.number].map(ComparePlot.color) ?? "#999"
            let label = colours[run.number].map { report.labels[$0] } ?? "#\(run.number)"
            let best = winner.contains(run.number)
            out += "<polyline class=\"pc-run\" data-run=\"\(escapeXML(label))\" data-status=\"\(run.status.rawValue)\" points=\""
                + points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
                + "\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"\(best ? 4 : 2)\""
                + (scores[r] == nil ? " stroke-dasharray=\"4 4\" stroke-opacity=\"0.5\"" : "") + "/>\n"
            if let last = points.last, scores[r] != nil {
                out += "<circle cx=\"\(f(last.0))\" cy=\"\(f(last.1))\" r=\"\(best ? 5 : 3)\" fill=\"\(colour)\"/>\n"
            }
        }
        return out + axes
    }

    private static func axis(x: Double, title: String, labels: [(String, Double)]) -> String {
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        let plotHeight = height - top - bottom
        var out = "<line class=\"pc-axis\" x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotHeight))\" stroke=\"#333\"/>\n"
        out += "<text x=\"\(f(x))\" y=\"\(f(top - 18))\" font-size=\"13\" font-weight=\"bold\" text-anchor=\"middle\">\(escapeXML(title))</text>\n"
        for (text, p) in labels {
            let y = top + (1 - p) * plotHeight
            out += "<line x1=\"\(f(x - 4))\" y1=\"\(f(y))\" x2=\"\(f(x))\" y2=\"\(f(y))\" stroke=\"#333\"/>\n"
            out += "<text x=\"\(f(x - 7))\" y=\"\(f(y + 4))\" font-size=\"11\" text-anchor=\"end\" fill=\"#333\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">\(escapeXML(text))</text>\n"
        }
        return out
    }

    /// Each run's ranking-output curve (or its loss) in a small chart; all share their axes.
    static func smallMultiples(_ sweep: SweepReport, report: CompareReport) -> String {
        let charts = ComparePlot.charts(report.runs)
        guard let chart = charts.first(where: { $0.name == sweep.output }) ?? charts.first(where: { $0.name == "loss" }) else { return "" }
        let values = chart.series.flatMap { $0.points.map(\.y).filter(\.isFinite) }
        let iterations = ComparePlot.iterationRange(charts)
        let captions = report.captions
        var out = "<h3>\(escapeXML(chart.name)), run by run</h3>\n<div class=\"charts multiples\">\n"
        for (number, _) in sweep.runs.sorted(by: { $0.key < $1.key }) {
            guard let index = colourIndex(sweep, report: report)[number] else { continue }
            let own = Chart(name: "\(report.labels[index]) \(captions[index])", series: chart.series.filter { $0.run == index })
            guard !own.series.isEmpty else { continue }
            out += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"multiple\" width=\"\(Int(ComparePlot.width / 2))\" height=\"\(Int(ComparePlot.height / 2))\" viewBox=\"0 0 \(Int(ComparePlot.width)) \(Int(ComparePlot.height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
                + ComparePlot.chartBody(own, labels: report.labels, iterations: iterations, faded: report.fadedRuns, values: values) + "</svg>\n"
        }
        return out + "</div>\n"
    }
}

private typealias Chart = ComparePlot.Chart
