import Foundation
import Testing
@testable import Experiments
@testable import Runtime

extension ExperimentsSuite {
    /// `prepare` and `mean` under `mpirun -np 2`: the ranks share the decoding and the sums,
    /// and rank 0 writes what one process writes, byte for byte.
    @Suite(.serialized) struct ShardedPreparationTests {
        static let images = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/data/images")

        /// 150 images of the shared photos, labelled 0-6, with a missing file and a bad line
        /// among them: with one thread a rank, three chunks.
        static func list(in folder: URL) throws -> URL {
            let names = try FileManager.default.contentsOfDirectory(atPath: images.path).filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }.sorted()
            try #require(!names.isEmpty, "no photos in \(images.path)")
            var lines = (0..<150).map { "\(names[$0 % names.count]) \($0 % 7)" }
            lines.insert("missing.jpg 3", at: 40)
            lines.insert("nolabel", at: 90)
            let url = folder.appendingPathComponent("list.txt")
            try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
            return url
        }

        @Test func twoRanksWriteTheDatabaseAndMeanOneProcessWrites() throws {
            let mpirun = try #require(try TestData.mpirun(), "Open MPI's mpirun is needed")
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let list = try Self.list(in: root)
            let one = root.appendingPathComponent("one"), two = root.appendingPathComponent("two")
            let common = [Self.images.path, list.path]
            let options = ["--resize", "64x48", "--threads", "1", "--quiet"]
            var (status, output) = try TestData.capture(binary, ["prepare", "imageset"] + common + [one.path] + options)
            try #require(status == 0, "\(output)")
            (status, output) = try TestData.capture(mpirun, TestData.mpirunArguments(ranks: 2) + [binary.path, "prepare", "imageset"] + common + [two.path] + options)
            try #require(status == 0, "\(output)")
            #expect(output.contains("Wrote 150 records"), "\(output)")
            // Rank 0 alone reports: each skipped line once.
            #expect(output.components(separatedBy: "Skipped line 41").count == 2, "\(output)")
            let a = try Data(contentsOf: one.appendingPathComponent("data.mdb"))
            let b = try Data(contentsOf: two.appendingPathComponent("data.mdb"))
            #expect(a == b, "the databases differ")

            let m1 = root.appendingPathComponent("one.binaryproto"), m2 = root.appendingPathComponent("two.binaryproto")
            (status, output) = try TestData.capture(binary, ["mean", one.path, m1.path, "--quiet"])
            try #require(status == 0, "\(output)")
            (status, output) = try TestData.capture(mpirun, TestData.mpirunArguments(ranks: 2) + [binary.path, "mean", one.path, m2.path, "--quiet", "--threads", "1"])
            try #require(status == 0, "\(output)")
            #expect(try Data(contentsOf: m1) == Data(contentsOf: m2), "the means differ")
        }

        @Test func prepareImagenetUnderMPIMatchesOneProcess() throws {
            let mpirun = try #require(try TestData.mpirun(), "Open MPI's mpirun is needed")
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let list = try Self.list(in: root)
            var outputs: [URL] = []
            for (name, ranks) in [("one", 1), ("two", 2)] {
                let out = root.appendingPathComponent(name)
                let arguments = ["prepare", "imagenet", "--train-root", Self.images.path, "--val-root", Self.images.path,
                                 "--train-list", list.path, "--val-list", list.path, "--output", out.path,
                                 "--resize", "32x32", "--threads", "1", "--quiet"]
                let (status, output) = ranks == 1
                    ? try TestData.capture(binary, arguments)
                    : try TestData.capture(mpirun, TestData.mpirunArguments(ranks: ranks) + [binary.path] + arguments)
                try #require(status == 0, "\(output)")
                outputs.append(out)
            }
            for file in ["train_lmdb/data.mdb", "val_lmdb/data.mdb", "imagenet_mean.binaryproto"] {
                let a = try Data(contentsOf: outputs[0].appendingPathComponent(file))
                let b = try Data(contentsOf: outputs[1].appendingPathComponent(file))
                #expect(a == b, "\(file) differs")
            }
        }
    }
}
