import ArgumentParser
import Foundation
import Runtime

struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Make the databases recipes read.",
        subcommands: [PrepareFashionMNIST.self, PrepareImageset.self])
}

struct PrepareFashionMNIST: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fashion-mnist",
        abstract: "Convert Debian's dataset-fashion-mnist into train_lmdb, test_lmdb and labels.txt.")

    @Option(help: "Folder with the gzipped IDX files.")
    var source: String = FashionMNIST.defaultSource.path

    @Option(help: "Folder to write train_lmdb, test_lmdb and labels.txt into.")
    var output: String = "data/fashion-mnist"

    @Flag(help: "Convert again even if the databases exist.")
    var force = false

    func run() throws {
        let out = URL(fileURLWithPath: output)
        if FashionMNIST.isPrepared(at: out) && !force {
            print("\(output) already holds train_lmdb and test_lmdb; pass --force to convert again.")
            return
        }
        let summary = try FashionMNIST.prepare(from: URL(fileURLWithPath: source), into: out) { print($0) }
        print(summary)
    }
}
