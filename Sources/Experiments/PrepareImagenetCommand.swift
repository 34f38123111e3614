import ArgumentParser
import Foundation
import MPIReplicas
import Runtime

/// Caffe's examples/imagenet/create_imagenet.sh and make_imagenet_mean.sh in one step.
struct PrepareImagenet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imagenet",
        abstract: "Convert ILSVRC12 train and val folders into the LMDBs and mean image CaffeNet reads.",
        discussion: """
            Writes OUTPUT/train_lmdb (shuffled), OUTPUT/val_lmdb and OUTPUT/imagenet_mean.binaryproto,
            resizing to 256x256 as Caffe's tutorial does; by default OUTPUT is data/ilsvrc12, where
            Recipes/CaffeNet.swift looks. List lines are `relative/path label`, label being the
            index of the image's synset in sorted order (../shared/data/imagenet/synset_words.txt).
            """)

    @Option(name: .customLong("train-root"), help: "Folder the training list's paths are relative to (e.g. /data/ILSVRC2012/train/).")
    var trainRoot: String

    @Option(name: .customLong("val-root"), help: "Folder the validation list's paths are relative to.")
    var valRoot: String

    @Option(name: .customLong("train-list"), help: "train.txt: `n01440764/n01440764_10026.JPEG 0` lines.")
    var trainList: String

    @Option(name: .customLong("val-list"), help: "val.txt: `ILSVRC2012_val_00000001.JPEG 65` lines.")
    var valList: String

    @Option(help: "Folder for train_lmdb, val_lmdb and the mean.")
    var output: String = "data/ilsvrc12"

    @Option(help: "Resize to WxH (Caffe's tutorial: 256x256).")
    var resize: String = "256x256"

    @Flag(help: "Store the JPEG bytes rather than pixels (smaller databases, decoding while training).")
    var encoded = false

    @Flag(help: "Replace databases that exist.")
    var force = false

    @Option(help: "Cores for decoding and resizing (default: all).")
    var threads: Int?

    @Flag(help: "No progress lines.")
    var quiet = false

    func run() throws {
        var options = ImagesetOptions()
        let size = try PrepareImageset.parseSize(resize)
        (options.resizeWidth, options.resizeHeight) = (size.width, size.height)
        options.encoded = encoded
        options.force = force
        if let threads {
            guard threads > 0 else { throw CLIError("--threads must be at least 1") }
            options.threads = threads
        }
        try ReplicaEdge.run { try prepare(options, group: $0) }
    }

    /// Under mpirun every rank decodes and resizes its share of each list and sums its share
    /// of the mean; rank 0 writes the databases and the mean.
    private func prepare(_ given: ImagesetOptions, group: MPIReplicaGroup?) throws {
        var options = given
        if threads == nil { options.threads = ReplicaEdge.threads(group) }
        let lead = (group?.rank ?? 0) == 0
        let quiet = self.quiet || !lead
        let out = URL(fileURLWithPath: output)
        do {
            if lead { try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true) }
        } catch {
            throw CLIError("cannot create \(output): \(UserMessage.describe(error))")
        }
        for (name, root, list, shuffle) in [("train_lmdb", trainRoot, trainList, true), ("val_lmdb", valRoot, valList, false)] {
            var these = options
            these.shuffle = shuffle
            let meter = ProgressMeter(quiet: quiet)
            if !quiet { StandardError.write("Creating \(name) from \(list)\n") }
            let summary = try ImagesetConverter.convert(
                root: root, list: URL(fileURLWithPath: list), output: out.appendingPathComponent(name), options: these,
                replicas: group,
                progress: { meter.report($0) },
                skipped: { StandardError.write("Skipped \($0)\n") })
            meter.finish()
            if lead { print(summary) }
        }
        // The ranks share the mean's work where each sees the database rank 0 wrote (one machine,
        // a shared folder); else rank 0 computes it while the others wait.
        let train = out.appendingPathComponent("train_lmdb").path
        let seen = FileManager.default.fileExists(atPath: train) ? 1.0 : 0
        let share = try group.map { try $0.sum([seen])[0] == Double($0.size) } ?? false
        let meter = ProgressMeter(quiet: quiet)
        var computed: MeanImage?
        if share || lead {
            computed = try MeanFile.compute(database: train, threads: options.threads, replicas: share ? group : nil) { meter.report($0) }
        }
        meter.finish()
        _ = try group?.sum([0])
        guard lead, let mean = computed else { return }
        let meanURL = out.appendingPathComponent("imagenet_mean.binaryproto")
        try MeanFile.write(mean, to: meanURL)
        print("Wrote \(meanURL.path); mean values per channel (BGR): "
              + mean.channelMeans.map { String(format: "%.3f", $0) }.joined(separator: ", "))
    }
}
