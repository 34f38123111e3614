import ArgumentParser
import Foundation
import Runtime

/// Caffe's compute_image_mean: the per-pixel mean of a database, as a `.binaryproto`.
struct MeanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mean",
        abstract: "Compute the mean image of an LMDB of Datum records (Caffe's compute_image_mean).",
        discussion: """
            Writes a BlobProto of shape 1xCxHxW with float data that Caffe reads as mean_file, and
            prints the mean of each channel (channel 0 is blue for colour records, as Caffe stores them).
            """)

    @Argument(help: "The LMDB folder to read.")
    var database: String

    @Argument(help: "The .binaryproto file to write.")
    var output: String

    @Option(help: "Cores for decoding and summing (default: all).")
    var threads: Int?

    @Flag(help: "No progress lines.")
    var quiet = false

    func run() throws {
        if let threads, threads < 1 { throw CLIError("--threads must be at least 1") }
        try ReplicaEdge.run { group in
            // Under mpirun every rank sums its share of the records; rank 0 writes the mean.
            let lead = (group?.rank ?? 0) == 0
            let meter = ProgressMeter(quiet: quiet || !lead)
            let start = Date()
            let mean = try MeanFile.compute(database: database, threads: threads ?? ReplicaEdge.threads(group),
                                            replicas: group) { meter.report($0) }
            meter.finish()
            guard lead else { return }
            try write(mean, start: start)
        }
    }

    private func write(_ mean: MeanImage, start: Date) throws {
        try MeanFile.write(mean, to: URL(fileURLWithPath: output))
        print(String(format: "Wrote the %@ mean of %@ to %@ (%.1f s)",
                     mean.shape.map(String.init).joined(separator: "x"), database, output, Date().timeIntervalSince(start)))
        for (c, value) in mean.channelMeans.enumerated() {
            print("mean_value channel [\(c)]: \(value)")
        }
    }
}
