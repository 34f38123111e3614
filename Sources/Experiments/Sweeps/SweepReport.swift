import Foundation
import NetDSL

/// A sweep's table: one row per setting (the runs of its seeds together), ranked by a test
/// output's mean over the finished runs, with its spread, the winner marked, and only the
/// settings that vary as columns.
struct SweepReport {
    let record: SweepRecord
    /// The runs' folders as read back, by run number (missing where a run has none yet).
    let runs: [Int: RecordedRun]
    /// The test output that ranks the settings: `--by`, else the first the runs report.
    let output: String?

    init(record: SweepRecord, runs: [Int: RecordedRun], rankBy: String? = nil) {
        self.record = record
        self.runs = runs
        let ordered = runs.keys.sorted().compactMap { runs[$0] }
        output = rankBy ?? CompareReport(runs: ordered).rankingOutput
    }

    /// Reads the runs of the sweep in `folder` (results/<recipe>/sweeps/<id>).
    static func load(_ folder: URL, rankBy: String? = nil) throws -> SweepReport {
        let record = try SweepRecord.read(folder)
        let results = folder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var runs: [Int: RecordedRun] = [:]
        for run in record.runs {
            guard let name = run.folder else { continue }
            let url = results.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("recipe.json").path) {
                runs[run.number] = try RecordedRun.load(url)
            }
        }
        return SweepReport(record: record, runs: runs, rankBy: rankBy)
    }

    /// The runs' folders, in run order.
    var folders: [URL] { runs.keys.sorted().compactMap { runs[$0]?.folder } }

    struct Row {
        /// The values of the varying settings, in the sweep's order.
        var values: [String]
        var numbers: [Int]
        /// The ranking output's final value in each finished run that learnt.
        var scores: [Double]
        var statuses: [SweepRunStatus]

        var mean: Double? { scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count) }
        /// The sample standard deviation over seeds; nil for fewer than two runs.
        var spread: Double? {
            guard let mean, scores.count > 1 else { return nil }
            return (scores.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(scores.count - 1)).squareRoot()
        }
    }

    var keys: [String] { record.job.sweep.varyingKeys }

    /// One row per setting, best first; rows with no finished run last, in sweep order.
    var rows: [Row] {
        var rows: [Row] = []
        var position: [[String]: Int] = [:]
        for run in record.runs {
            let values = record.varying(run).map { String($0.drop { $0 != "=" }.dropFirst()) }
            let at = position[values] ?? {
                rows.append(Row(values: values, numbers: [], scores: [], statuses: []))
                position[values] = rows.count - 1
                return rows.count - 1
            }()
            rows[at].numbers.append(run.number)
            rows[at].statuses.append(run.status)
            if run.status == .finished, runs[run.number]?.didNotLearn == nil, let output,
               let value = runs[run.number]?.summary?.summary?.finalTest?[output] ?? run.finalTest?[output], value.isFinite {
                rows[at].scores.append(value)
            }
        }
        let lower = output.map(CompareReport.lowerIsBetter) ?? false
        let order = rows.indices.sorted { a, b in
            switch (rows[a].mean, rows[b].mean) {
            case let (x?, y?): return x != y ? (lower ? x < y : x > y) : a < b
            case (_?, nil): return true
            case (nil, _?): return false
            case (nil, nil): return a < b
            }
        }
        return order.map { rows[$0] }
    }

    /// The best setting's row, when any setting has a finished run.
    var winner: Row? { rows.first { $0.mean != nil } }

    /// The table of settings, best first.
    func table(_ rows: [Row]? = nil) -> TextTable {
        let rows = rows ?? self.rows
        let seeded = rows.contains { $0.numbers.count > 1 }
        let metric = output.map { seeded ? "\($0) (mean ± sd)" : $0 } ?? "result"
        let header = ["rank"] + keys.map(CompareReport.shortKey) + [metric, "runs"]
        var table: [[String]] = []
        for (i, row) in rows.enumerated() {
            let rank = row.mean == nil ? "-" : String(i + 1) + (i == 0 ? " *" : "")
            var score = row.mean.map(CompareReport.number) ?? "-"
            if let spread = row.spread { score += " ± " + CompareReport.number(spread) }
            let finished = row.statuses.filter { $0 == .finished }.count
            let others = Dictionary(grouping: row.statuses.filter { $0 != .finished }, by: { $0 }).mapValues(\.count)
                .sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }
            let runsCell = "\(finished)/\(row.statuses.count) finished" + (others.isEmpty ? "" : ", " + others.joined(separator: ", "))
                + " (#" + row.numbers.map(String.init).joined(separator: ", #") + ")"
            table.append([rank] + row.values + [score, runsCell])
        }
        return TextTable(header: header, rows: table)
    }

    func text() -> String {
        let rows = rows
        let counts = Dictionary(grouping: record.runs, by: \.status).mapValues(\.count)
        let statusWords = [SweepRunStatus.finished, .halted, .running, .stopped, .failed, .waiting].compactMap { status in
            counts[status].map { "\($0) \(status.rawValue)" }
        }
        var out = "Sweep \(record.id): \(record.runs.count) runs (\(statusWords.joined(separator: ", ")))"
        if let output { out += ", ranked by test \(output) (\(CompareReport.lowerIsBetter(output) ? "lowest" : "highest") first)" }
        out += "\n"
        out += table(rows).render(indent: 2)
        if let winner, let output, let mean = winner.mean {
            let setting = zip(keys, winner.values).map { "\(CompareReport.shortKey($0))=\($1)" }.joined(separator: " ")
            out += "Winner: " + (setting.isEmpty ? "the recipe's settings" : setting) + ", test \(output) \(CompareReport.number(mean))"
                + (winner.scores.count > 1 ? " over \(winner.scores.count) seeds" : "") + "\n"
        } else {
            out += "No setting has a finished run yet.\n"
        }
        let failed = record.runs.filter { $0.status == .failed }
        for run in failed {
            out += "Run #\(run.number) failed: \(run.error ?? "see its folder") (log: \(record.id)/logs/\(String(format: "run-%03d.txt", run.number)))\n"
        }
        return out
    }
}
