import ArgumentParser
import Foundation
import Runtime

struct PrepareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare",
        abstract: "Make the databases recipes read.",
        subcommands: [PrepareFashionMNIST.self, PrepareImageset.self, PrepareImagenet.self])
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

    @Option(help: ArgumentHelp("Instead, write the images as PNG folders with train.txt/test.txt list files (ImageNet's layout), for `prepare imageset`.",
                               valueName: "DIR"))
    var png: String?

    func run() throws {
        if let png {
            print(try FashionMNIST.exportImages(from: URL(fileURLWithPath: source), into: URL(fileURLWithPath: png)) { print($0) })
            return
        }
        let out = URL(fileURLWithPath: output)
        if FashionMNIST.isPrepared(at: out) && !force {
            print("\(output) already holds train_lmdb and test_lmdb; pass --force to convert again.")
            return
        }
        let summary = try FashionMNIST.prepare(from: URL(fileURLWithPath: source), into: out) { print($0) }
        print(summary)
    }
}
