import Foundation
import Testing
@testable import Experiments
@testable import Runtime

extension ExperimentsSuite {
    /// `experiments prepare imageset` and `experiments mean`, as a user runs them.
    @Suite struct PrepareImagesetCommandTests {
        /// A folder with `count` small generated images (JPEG and PNG, different sizes) and a list.
        static func imageFolder(count: Int) throws -> (folder: URL, root: URL, list: URL) {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crema-imageset-\(UUID().uuidString)")
            let root = folder.appendingPathComponent("train")
            try FileManager.default.createDirectory(at: root.appendingPathComponent("n01"), withIntermediateDirectories: true)
            var lines: [String] = []
            for i in 0..<count {
                let (w, h) = (20 + i, 14 + 2 * i)
                let pixels = (0..<(w * h * 3)).map { UInt8(($0 * (i + 3) + i * 17) % 256) }
                let image = try Image(width: w, height: h, channels: 3, pixels: pixels)
                let name = i % 2 == 0 ? "n01/img \(i).png" : "n01/img\(i).jpg"
                let bytes = i % 2 == 0 ? try PNG.encode(image) : try JPEG.encode(image)
                try bytes.write(to: root.appendingPathComponent(name))
                lines.append("\(name) \(i % 3)")
            }
            lines.append("n01/missing.jpg 1")
            let list = folder.appendingPathComponent("train.txt")
            try lines.joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
            return (folder, root, list)
        }

        static func run(_ arguments: [String]) throws {
            var command = try ExperimentsCLI.parseAsRoot(arguments)
            try command.run()
        }

        @Test func convertsSkipsAndRefusesToOverwriteWithoutForce() throws {
            let (folder, root, list) = try Self.imageFolder(count: 5)
            defer { try? FileManager.default.removeItem(at: folder) }
            let out = folder.appendingPathComponent("train_lmdb").path
            // ROOT without a trailing slash: joined with one because it is a folder.
            try Self.run(["prepare", "imageset", root.path, list.path, out, "--resize", "16x12", "--shuffle", "--seed", "2", "--quiet"])
            do {
                // Closed before the database is replaced below (readers of one path share an environment).
                let reader = try LMDBReader(path: out)
                #expect(try reader.count() == 5)
                let first = try Caffe_Datum(record: try reader.makeCursor().next().value)
                #expect(first.shape == [3, 12, 16])
            }

            #expect { try Self.run(["prepare", "imageset", root.path, list.path, out, "--quiet"]) } throws: { error in
                "\(error)".contains("already exists") && "\(error)".contains("--force")
            }
            try Self.run(["prepare", "imageset", root.path + "/", list.path, out, "--resize", "8x8", "--gray", "--encoded",
                          "--encode-type", "png", "--force", "--quiet", "--threads", "1"])
            let replaced = try Caffe_Datum(record: try LMDBReader(path: out).makeCursor().next().value)
            #expect(replaced.encoded && ImageFormat(sniffing: replaced.data) == .png)
            #expect(try replaced.decoded().shape == [1, 8, 8])

            // --strict makes the missing image fatal; the existing database stays as it was.
            #expect { try Self.run(["prepare", "imageset", root.path, list.path, out, "--strict", "--force", "--quiet"]) } throws: { error in
                "\(error)".contains("line 6") && "\(error)".contains("missing.jpg")
            }
            #expect(try Caffe_Datum(record: try LMDBReader(path: out).makeCursor().next().value) == replaced)
        }

        @Test func rejectsBadOptions() throws {
            let (folder, root, list) = try Self.imageFolder(count: 1)
            defer { try? FileManager.default.removeItem(at: folder) }
            let out = folder.appendingPathComponent("db").path
            for bad in [["--resize", "256"], ["--resize", "0x10"], ["--encoded", "--encode-type", "gif"], ["--encode-type", "png"],
                        ["--threads", "0"]] {
                #expect(throws: (any Error).self, "\(bad)") {
                    try Self.run(["prepare", "imageset", root.path, list.path, out, "--quiet"] + bad)
                }
            }
            #expect(throws: (any Error).self) { try Self.run(["prepare", "imageset", root.path, list.path, out, "--resize-filter", "cubic"]) }
            #expect(!FileManager.default.fileExists(atPath: out))
            #expect(try PrepareImageset.parseSize("256x128") == (256, 128))
        }

        @Test func meanWritesTheBinaryprotoCaffeReads() throws {
            let (folder, root, list) = try Self.imageFolder(count: 4)
            defer { try? FileManager.default.removeItem(at: folder) }
            let db = folder.appendingPathComponent("db").path
            let out = folder.appendingPathComponent("mean.binaryproto")
            try Self.run(["prepare", "imageset", root.path, list.path, db, "--resize", "10x6", "--resize-filter", "area", "--quiet"])
            try Self.run(["mean", db, out.path, "--quiet"])
            let mean = try MeanFile.read(out)
            #expect(mean.shape == [3, 6, 10])
            #expect(mean == (try MeanFile.compute(database: db)))
            #expect(ProgressMeter.clock(3725) == "1:02:05" && ProgressMeter.clock(65) == "1:05" && ProgressMeter.clock(nil) == "--:--")
        }

        /// A conversion killed at any moment leaves no database at OUT, only its hidden working
        /// folder, which the next conversion removes; the one that finishes holds every record.
        @Test func aKilledConversionNeverLeavesADatabaseThatLooksComplete() throws {
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let root = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let names = try FileManager.default.contentsOfDirectory(atPath: ShardedPreparationTests.images.path).sorted()
            try #require(!names.isEmpty)
            let list = root.appendingPathComponent("list.txt")
            try (0..<2000).map { "\(names[$0 % names.count]) \($0 % 10)" }.joined(separator: "\n").write(to: list, atomically: true, encoding: .utf8)
            let out = root.appendingPathComponent("out_lmdb")
            let arguments = ["prepare", "imageset", ShardedPreparationTests.images.path, list.path, out.path,
                             "--resize", "128x128", "--threads", "1", "--quiet"]
            for delay in [0.2, 0.8, 1.6] {
                let process = Process()
                process.executableURL = binary
                process.arguments = arguments
                process.standardError = FileHandle.nullDevice
                process.standardOutput = FileHandle.nullDevice
                try process.run()
                Thread.sleep(forTimeInterval: delay)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                guard process.terminationReason == .uncaughtSignal else {
                    Issue.record("the conversion finished in under \(delay) s; give it more images")
                    return
                }
                #expect(!FileManager.default.fileExists(atPath: out.path), "killed after \(delay) s, yet \(out.path) exists")
            }
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix(".out_lmdb.partial-") }
            #expect(!leftovers.isEmpty, "a killed conversion works in a hidden folder")
            let (status, output) = try TestData.capture(binary, arguments)
            try #require(status == 0, "\(output)")
            #expect(try LMDBReader(path: out.path).count() == 2000)
            let after = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { $0.hasPrefix(".out_lmdb.partial-") }
            #expect(after.isEmpty, "the next conversion removes what killed ones left: \(after)")
        }
    }
}
