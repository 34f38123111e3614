import ArgumentParser
import Foundation
import NetDSL

/// Where sweeps start from the command line: `experiments <recipe> --set key=a,b ...` and
/// `experiments resume SWEEP`. Reads the machine's cores and installs Ctrl-C handling here,
/// at the edge, and prints the sweep's table at the end.
enum SweepCommand {
    /// This executable, which runs each of the sweep's runs.
    static var executable: URL { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath() }

    static func run(_ job: SweepJob, results: URL, parallel: Int?, threads: Int?, quiet: Bool) throws {
        // The runs left to do share the cores (all of them, for a new sweep).
        let folder = results.appendingPathComponent(job.recipe).appendingPathComponent("sweeps").appendingPathComponent(job.id)
        let left = (try? SweepRecord.read(folder))?.runs.filter { ![.finished, .halted].contains($0.status) }.count
        let (k, t) = try SweepRunner.shares(runs: max(1, try left ?? job.sweep.count()), parallel: parallel, threads: threads)
        let runner = quiet
            ? SweepRunner(job: job, results: results, executable: executable, parallel: k, threads: t, interactive: false, terminal: { _ in })
            : SweepRunner(job: job, results: results, executable: executable, parallel: k, threads: t)
        let stop = StopSignal.install()
        runner.shouldStop = { stop.requested }
        let record = try runner.run()
        let report = try SweepReport.load(runner.folder)
        print(report.text(), terminator: "")
        print("Sweep folder: \(runner.folder.path) (compare its runs: experiments compare \(runner.folder.path))")
        let unfinished = record.runs.filter { [.waiting, .running, .stopped].contains($0.status) }.count
        if unfinished > 0 {
            print("\(unfinished) run\(unfinished == 1 ? " is" : "s are") not finished; finish the sweep with the same command, or: experiments resume \(runner.folder.path)")
        }
        if record.runs.contains(where: { $0.status == .failed }) { throw ExitCode.failure }
    }
}

/// `experiments resume SWEEP`: finishes an interrupted sweep.
struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Finish a sweep that was stopped or killed: finished runs are kept, stopped ones resume from their snapshots, the rest start.",
        discussion: "SWEEP is a sweep's folder, results/<recipe>/sweeps/<id> (or .../sweeps/latest). Running the sweep's own command again does the same.")

    @Argument(help: "The sweep's folder.")
    var sweep: String

    @Option(help: ArgumentHelp("Runs at a time (default: as many as the cores allow).", valueName: "K"))
    var parallel: Int?

    @Option(help: "Threads per run (default: the cores shared between the runs at a time).")
    var threads: Int?

    @Flag(name: .shortAndLong, help: "Print only the sweep's table at the end.")
    var quiet = false

    func run() throws {
        let folder = URL(fileURLWithPath: sweep).standardizedFileURL.resolvingSymlinksInPath()
        let record = try SweepRecord.read(folder)
        let sweeps = folder.deletingLastPathComponent()
        let results = sweeps.deletingLastPathComponent().deletingLastPathComponent()
        guard sweeps.lastPathComponent == "sweeps", folder.lastPathComponent == record.id else {
            throw CLIError("\(folder.path) holds sweep \(record.id) but is not its folder results/\(record.job.recipe)/sweeps/\(record.id); move it back there to resume it")
        }
        try SweepCommand.run(record.job, results: results, parallel: parallel, threads: threads, quiet: quiet)
    }
}
