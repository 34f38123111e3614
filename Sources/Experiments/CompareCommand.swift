import ArgumentParser
import Foundation
import NetDSL

/// `experiments compare RUN...`: the settings that differ between runs and their results, and
/// with `--plot` their curves overlaid.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare runs: the settings that differ, final and best metrics, time and throughput.",
        discussion: """
            Each RUN is a run folder (results/<recipe>/<run>), a sweep's folder \
            (results/<recipe>/sweeps/<id>: its runs, and first its settings ranked, with their mean and \
            spread over seeds), or a recipe's name, meaning every run under results/<recipe>/. With --plot OUT.html, a self-contained page with the tables and
            loss and accuracy curves; with --plot OUT.svg, the curves alone.
            """)

    @Argument(help: "Run folders, or recipe names for all their runs.")
    var runs: [String]

    @Option(help: "Folder that holds the runs (where recipe names are looked up).")
    var results: String = "results"

    @Option(help: ArgumentHelp("Write the curves to this file: .html (a page with the tables) or .svg.",
                               valueName: "OUT"))
    var plot: String?

    @Option(help: ArgumentHelp("Rank the runs by this test output (default: the test net's first output, e.g. accuracy); a loss ranks lowest first.",
                               valueName: "OUTPUT"))
    var by: String?

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("name at least one run folder or recipe") }
        if let plot, Self.plotKind(plot) == nil {
            throw ValidationError("--plot \(plot): the file must end in .html or .svg")
        }
    }

    func run() throws {
        let report = try makeReport()
        let sweeps = try sweepReports()
        for sweep in sweeps {
            print(sweep.text())
        }
        print(report.text(), terminator: "")
        if let plot {
            let url = try Self.writePlot(report, sweeps: sweeps, to: plot)
            print("\nCurves written to \(url.path)")
        }
    }

    func makeReport() throws -> CompareReport {
        let folders = try Self.runFolders(for: runs, results: URL(fileURLWithPath: results))
        let report = CompareReport(runs: try folders.map(RecordedRun.load), rankBy: by)
        if let by, !report.testOutputOrder.contains(by) {
            let known = report.testOutputOrder
            throw CLIError("--by \(by): no run has a test output of that name.\(Suggestions.didYouMean(by, among: known))"
                           + (known.isEmpty ? " These runs recorded no test outputs." : " The test outputs: \(known.joined(separator: ", "))."))
        }
        return report
    }

    /// The tables of the sweeps among the arguments.
    func sweepReports() throws -> [SweepReport] {
        try runs.filter { Self.isSweepFolder(URL(fileURLWithPath: $0)) }
            .map { try SweepReport.load(URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath(), rankBy: by) }
    }

    static func isSweepFolder(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent("sweep.json").path)
    }

    enum PlotKind { case html, svg }

    static func plotKind(_ path: String) -> PlotKind? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "html", "htm": .html
        case "svg": .svg
        default: nil
        }
    }

    @discardableResult
    static func writePlot(_ report: CompareReport, sweeps: [SweepReport] = [], to path: String) throws -> URL {
        let url = URL(fileURLWithPath: path)
        guard let kind = plotKind(path) else {
            throw CLIError("--plot \(path): the file must end in .html or .svg")
        }
        let text = kind == .html ? ComparePlot.htmlDocument(report, sweeps: sweeps) : ComparePlot.svgDocument(report)
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw CLIError("cannot write \(url.path): \(UserMessage.describe(error))")
        }
        return url
    }

    /// The run folders the arguments name, in order, each once. A folder that holds recipe.json
    /// is a run; otherwise a name with runs under `results/<name>/` means all of them (oldest
    /// first, `latest` left out as it repeats one).
    static func runFolders(for arguments: [String], results: URL) throws -> [URL] {
        let fm = FileManager.default
        var folders: [URL] = []
        var seen = Set<String>()
        func add(_ url: URL) {
            let key = url.resolvingSymlinksInPath().standardizedFileURL.path
            if seen.insert(key).inserted { folders.append(url) }
        }
        for argument in arguments {
            let url = URL(fileURLWithPath: argument)
            var isDirectory: ObjCBool = false
            let exists = fm.fileExists(atPath: url.path, isDirectory: &isDirectory)
            if exists, isDirectory.boolValue, fm.fileExists(atPath: url.appendingPathComponent("recipe.json").path) {
                add(url)
                continue
            }
            if exists, isDirectory.boolValue, isSweepFolder(url) {
                let report = try SweepReport.load(url.standardizedFileURL.resolvingSymlinksInPath())
                guard !report.folders.isEmpty else {
                    throw CLIError("the sweep in \(url.path) has no runs with a folder yet: run it with `\(report.record.command)`")
                }
                report.folders.forEach(add)
                continue
            }
            let recipeFolder = results.appendingPathComponent(argument)
            if !argument.contains("/"), fm.fileExists(atPath: recipeFolder.path, isDirectory: &isDirectory), isDirectory.boolValue {
                let runs = try recipeRuns(in: recipeFolder)
                guard !runs.isEmpty else {
                    throw CLIError("no runs of \(argument) under \(recipeFolder.path): train one with `experiments \(argument)`")
                }
                runs.forEach(add)
                continue
            }
            if exists {
                throw CLIError("\(url.path) is not a run folder: it has no recipe.json. Pass run folders (results/<recipe>/<run>) or a recipe's name to compare all its runs")
            }
            throw CLIError("'\(argument)' is neither a run folder nor a recipe with runs under \(results.path)/ (use --results DIR for another results folder)")
        }
        return folders
    }

    static func recipeRuns(in folder: URL) throws -> [URL] {
        let fm = FileManager.default
        let names: [String]
        do {
            names = try fm.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw CLIError("cannot list \(folder.path): \(UserMessage.describe(error))")
        }
        return names.sorted().filter { name in
            guard !name.hasPrefix("."), name != "latest" else { return false }
            return fm.fileExists(atPath: folder.appendingPathComponent(name).appendingPathComponent("recipe.json").path)
        }.map { folder.appendingPathComponent($0) }
    }
}
