import Foundation

/// What `experiments compare` shows: the runs, the settings that differ between them and their
/// results, as text tables (and, for the HTML page, as HTML tables).
struct CompareReport {
    let runs: [RecordedRun]
    /// The test output that ranks the runs (`--by`); nil for the first one the runs report.
    let rankBy: String?

    init(runs: [RecordedRun], rankBy: String? = nil) {
        self.runs = runs
        self.rankBy = rankBy
    }

    /// `#1`, `#2`, ...: the runs' names in the tables and the charts' legends.
    var labels: [String] { runs.indices.map { "#\($0 + 1)" } }

    /// Each run described by the settings in which it differs from the others
    /// (`base_lr=0.02, train.batch_size=32`), or by its folder's name when none differ.
    var captions: [String] {
        // The settings someone chose (--set, --iterations) say what a run was for; a seed left
        // to chance differs in every run and says nothing.
        let differing = differingSettings.filter { $0.key != "overrides" }
        let chosen = Set(runs.flatMap { $0.overrides.compactMap { $0.split(separator: "=").first.map(String.init) } })
        let picked = differing.filter { chosen.contains($0.key) }
        let unseeded = differing.filter { $0.key != "solver.random_seed" }
        let rows = !picked.isEmpty ? picked : !unseeded.isEmpty ? unseeded : differing
        return runs.indices.map { i in
            guard !rows.isEmpty else { return runs[i].name }
            return rows.map { row in
                "\(Self.shortKey(row.key))=\(row.values[i])"
            }.joined(separator: ", ")
        }
    }

    /// A setting's key (or `key=value`) as tables show it: `solver.base_lr` as `base_lr`,
    /// `data.train.batch_size` as `train.batch_size`.
    static func shortKey(_ key: String) -> String {
        key.hasPrefix("solver.") ? String(key.dropFirst(7)) : key.hasPrefix("data.") ? String(key.dropFirst(5)) : key
    }

    /// The test outputs in the order the first run's test net reports them (Caffe's output #0
    /// first), then any others by name.
    var testOutputOrder: [String] {
        var order: [String] = []
        for run in runs {
            for m in run.metrics where m.phase == "test" && !order.contains(m.name) { order.append(m.name) }
        }
        return order + testOutputs.filter { !order.contains($0) }
    }

    /// The runs flagged as not learning, drawn apart in the charts.
    var fadedRuns: Set<Int> { Set(runs.indices.filter { runs[$0].didNotLearn != nil }) }

    /// Whether a smaller value of this output is better (losses and errors).
    static func lowerIsBetter(_ name: String) -> Bool {
        let n = name.lowercased()
        return n.contains("loss") || n.contains("error")
    }

    /// The output runs are ranked by: `--by`, else the first test output.
    var rankingOutput: String? { rankBy ?? testOutputOrder.first }

    /// The best run by its final value of `rankingOutput`, among runs that finished or stopped
    /// and were not flagged as not learning.
    var best: (index: Int, output: String, value: Double)? {
        guard let output = rankingOutput else { return nil }
        let lower = Self.lowerIsBetter(output)
        var winner: (index: Int, output: String, value: Double)?
        for (i, run) in runs.enumerated() {
            guard ["finished", "stopped"].contains(run.summary?.status ?? ""), run.didNotLearn == nil,
                  let value = run.summary?.summary?.finalTest?[output], value.isFinite else { continue }
            if winner.map({ lower ? value < $0.value : value > $0.value }) ?? true { winner = (i, output, value) }
        }
        return winner
    }

    /// The keys whose values are not the same in every run, solver first, then data, then the
    /// net's layers, each run's value ("-" where a run lacks the key).
    var differingSettings: [(key: String, values: [String])] {
        var keys = Set<String>()
        for run in runs { keys.formUnion(run.settings.keys) }
        let differing = keys.filter { key in Set(runs.map { $0.settings[key] ?? "-" }).count > 1 }
        let group = { (key: String) -> Int in
            key.hasPrefix("solver.") ? 0 : key.hasPrefix("data.") ? 1 : 2
        }
        var rows = differing.sorted { (group($0), $0) < (group($1), $1) }
            .map { key in (key: key, values: runs.map { $0.settings[key] ?? "-" }) }
        if Set(runs.map(\.recipe)).count > 1 {
            rows.insert((key: "recipe", values: runs.map(\.recipe)), at: 0)
        }
        // Overrides every run shares say nothing about the difference.
        let shared = runs.dropFirst().reduce(Set(runs.first?.overrides ?? [])) { $0.intersection($1.overrides) }
        // Nor do those whose setting already has a row.
        let shown = Set(rows.map(\.key))
        let own = runs.map { $0.overrides.filter { !shared.contains($0) && !shown.contains(String($0.prefix { $0 != "=" })) } }
        if own.contains(where: { !$0.isEmpty }) {
            rows.append((key: "overrides", values: own.map { $0.isEmpty ? "(none)" : $0.joined(separator: " ") }))
        }
        return rows
    }

    var settingsTable: TextTable {
        TextTable(header: ["setting"] + labels, rows: differingSettings.map { [$0.key] + $0.values }, rightAligned: false)
    }

    /// The test outputs any run reported (accuracy first, then by name).
    var testOutputs: [String] {
        var names = Set<String>()
        for run in runs {
            names.formUnion((run.summary?.summary?.finalTest ?? [:]).keys)
            names.formUnion((run.summary?.summary?.bestTest ?? [:]).keys)
        }
        return names.sorted { ($0 == "accuracy" ? 0 : 1, $0) < ($1 == "accuracy" ? 0 : 1, $1) }
    }

    var resultsTable: TextTable {
        let outputs = testOutputs
        var header = ["run", "status", "iterations", "wall time", "images/s", "train loss"]
        for name in outputs { header += ["test \(name)", "best \(name)"] }
        let rows = runs.indices.map { i -> [String] in
            let run = runs[i]
            let details = run.summary?.summary
            var status = run.summary?.status ?? "no summary"
            if run.didNotLearn != nil { status += ", did not learn" }
            var row = [labels[i] + (best?.index == i && runs.count > 1 ? " best" : ""), status,
                       details?.iterations.map(String.init) ?? lastIteration(run),
                       details?.seconds.map(Self.wallTime) ?? "-",
                       details?.imagesPerSecond.map { String(format: "%.1f", $0) } ?? "-",
                       (details?.finalLoss ?? lastTrainLoss(run)).map(Self.number) ?? "-"]
            for name in outputs {
                row.append(details?.finalTest?[name].map(Self.number) ?? "-")
                row.append(details?.bestTest?[name].map { "\(Self.number($0.value)) @\($0.iteration)" } ?? "-")
            }
            return row
        }
        return TextTable(header: header, rows: rows)
    }

    /// The report as `compare` prints it.
    func text() -> String {
        var out = "Runs:\n"
        let captions = captions
        for (i, run) in runs.enumerated() {
            out += "  \(labels[i])  " + (captions[i] == run.name ? run.folder.path : "\(captions[i])  (\(run.folder.path))") + "\n"
        }
        let settings = settingsTable
        if runs.count < 2 {
            out += "\nOne run: nothing to compare settings with.\n"
        } else if settings.rows.isEmpty {
            out += "\nEvery setting is the same in all runs.\n"
        } else {
            out += "\nSettings that differ:\n" + settings.render(indent: 2)
        }
        out += "\nResults:\n" + resultsTable.render(indent: 2)
        if runs.count > 1, let best {
            out += "Best by test \(best.output) (\(Self.lowerIsBetter(best.output) ? "lowest" : "highest")): \(labels[best.index]), \(Self.number(best.value))"
                + (rankBy == nil ? " (another output: --by NAME)" : "") + "\n"
        }
        let flagged = runs.indices.filter { runs[$0].didNotLearn != nil }
        if !flagged.isEmpty {
            out += "\nDid not learn (left out of the ranking):\n"
            for i in flagged {
                let reasons = runs[i].didNotLearn ?? []
                out += "  \(labels[i])  " + (reasons.isEmpty ? "flagged by the trainer" : reasons.joined(separator: "; ")) + "\n"
            }
        }
        for (label, run) in zip(labels, runs) {
            if let error = run.summary?.error { out += "\(label) \(run.summary?.status ?? "failed"): \(error)\n" }
            if run.summary == nil { out += "\(label) has no summary.json: it is still running or was killed.\n" }
        }
        return out
    }

    private func lastIteration(_ run: RecordedRun) -> String {
        run.metrics.last.map { String($0.iteration) } ?? "-"
    }

    private func lastTrainLoss(_ run: RecordedRun) -> Double? {
        run.metrics.last { $0.phase == "train" && $0.name == "loss" }?.value
    }

    static func number(_ value: Double) -> String {
        value.isFinite && (abs(value) >= 1e4 || (abs(value) < 1e-3 && value != 0))
            ? String(format: "%.4g", value) : String(format: "%.4f", value)
    }

    static func wallTime(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1f s", seconds) : RunRecorder.duration(seconds)
    }
}

/// A plain table: text with aligned columns (the first left-aligned, the rest right-aligned for
/// numbers or left-aligned for settings), or HTML.
struct TextTable {
    var header: [String]
    var rows: [[String]]
    var rightAligned = true

    func render(indent: Int = 0) -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        let pad = String(repeating: " ", count: indent)
        func line(_ cells: [String]) -> String {
            let parts = header.indices.map { c -> String in
                let cell = c < cells.count ? cells[c] : ""
                let fill = String(repeating: " ", count: widths[c] - cell.count)
                return c == 0 || !rightAligned ? cell + fill : fill + cell
            }
            return pad + parts.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
        }
        let rule = pad + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        return line(header) + rule + rows.map(line).joined()
    }

    func html() -> String {
        var out = (rightAligned ? "<table>" : "<table class=\"left\">") + "\n<tr class=\"head\">" + header.map { "<th>\(escapeXML($0))</th>" }.joined() + "</tr>\n"
        for row in rows {
            out += "<tr>" + row.enumerated().map { c, cell in
                c == 0 ? "<th>\(escapeXML(cell))</th>" : "<td>\(escapeXML(cell))</td>"
            }.joined() + "</tr>\n"
        }
        return out + "</table>\n"
    }
}

/// Text made safe for XML and HTML.
func escapeXML(_ text: String) -> String {
    var out = ""
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}
