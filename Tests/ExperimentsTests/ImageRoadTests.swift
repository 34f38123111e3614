import Foundation
import Testing
@testable import Experiments
@testable import Runtime

extension ExperimentsSuite {
    /// The ImageNet road on real images: Fashion-MNIST exported as PNG folders and list files,
    /// converted by `prepare imagenet` (resize, shuffle, mean), then trained with crops, mirrors
    /// and the mean file through the Data layer.
    @Suite(.enabled(if: TestData.available, "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
    struct ImageRoadTests {
        @Test func fashionMNISTTravelsTheImageNetRoad() throws {
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let png = root.appendingPathComponent("png")
            let export = try FashionMNIST.exportImages(into: png, limit: 300)
            #expect(export.trainCount == 300 && export.testCount == 300)
            let trainList = try String(contentsOf: png.appendingPathComponent("train.txt"), encoding: .utf8)
            let first = try #require(trainList.split(separator: "\n").first)
            #expect(first.hasSuffix(" 9") && first.hasPrefix("9/train_00000.png"), "\(first)")
            // The first training image of Fashion-MNIST is an ankle boot (label 9); its PNG
            // decodes to the IDX bytes.
            let idx = try IDXFile.read(FashionMNIST.defaultSource.appendingPathComponent("train-images-idx3-ubyte.gz"), maxItems: 1)
            let decoded = try ImageDecoder.decode(file: png.appendingPathComponent("train/9/train_00000.png").path)
            #expect(decoded.pixels == [UInt8](idx.item(0)))

            let data = root.appendingPathComponent("ilsvrc")
            guard let prepare = try ExperimentsCLI.parseAsRoot(
                ["prepare", "imagenet", "--train-root", png.appendingPathComponent("train").path + "/",
                 "--val-root", png.appendingPathComponent("test").path + "/",
                 "--train-list", png.appendingPathComponent("train.txt").path,
                 "--val-list", png.appendingPathComponent("test.txt").path,
                 "--output", data.path, "--resize", "32x32", "--quiet"]) as? PrepareImagenet else {
                Issue.record("prepare imagenet did not parse")
                return
            }
            try prepare.run()
            let train = try LMDBReader(path: data.appendingPathComponent("train_lmdb").path)
            #expect(try train.count() == 300)
            let record = try Caffe_Datum(record: try train.makeCursor().next().value)
            // Grey PNGs are stored with three channels, as convert_imageset does without --gray.
            #expect(record.shape == [3, 32, 32])

            let meanURL = data.appendingPathComponent("imagenet_mean.binaryproto")
            let mean = try MeanFile.read(meanURL)
            #expect(mean.shape == [3, 32, 32])
            let direct = try MeanFile.compute(database: data.appendingPathComponent("train_lmdb").path)
            for (a, b) in zip(mean.values, direct.values) { #expect(abs(a - b) < 1e-3) }

            let results = root.appendingPathComponent("results")
            try TestData.train(["lenet", "--iterations", "40", "--seed", "8", "--results", results.path, "--quiet",
                                "--set", "data.train.source=\(data.path)/train_lmdb",
                                "--set", "data.test.source=\(data.path)/val_lmdb",
                                "--set", "data.train.crop_size=28", "--set", "data.test.crop_size=28",
                                "--set", "data.train.mirror=true",
                                "--set", "data.train.mean_file=\(meanURL.path)",
                                "--set", "data.test.mean_file=\(meanURL.path)",
                                "--set", "solver.test_iter=3", "--set", "solver.test_interval=40"])
            let summary = try String(contentsOf: results.appendingPathComponent("lenet/latest/summary.json"), encoding: .utf8)
            #expect(summary.contains("\"status\" : \"finished\""))
            let log = try String(contentsOf: results.appendingPathComponent("lenet/latest/train.log"), encoding: .utf8)
            #expect(log.contains("Test net output #0: accuracy = "))
        }
    }
}
