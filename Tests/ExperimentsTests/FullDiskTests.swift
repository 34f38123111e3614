import Foundation
import Testing
@testable import Experiments
@testable import Runtime

/// A small file system, mounted for one test: tmpfs needs root (or sudo without a password);
/// elsewhere the tests that need one say so and skip.
final class SmallDisk {
    let url: URL
    private let sudo: [String]

    private init(url: URL, sudo: [String]) {
        self.url = url
        self.sudo = sudo
    }

    static func mount(kib: Int) throws -> SmallDisk? {
        let url = try TestData.temporaryDirectory()
        let env = URL(fileURLWithPath: "/usr/bin/env")
        let sudo = getuid() == 0 ? [] : ["sudo", "-n"]
        let (status, output) = try TestData.capture(env, sudo + ["mount", "-t", "tmpfs", "-o", "size=\(kib)k", "tmpfs", url.path])
        guard status == 0 else {
            print("SKIPPED a full-disk check: cannot mount a \(kib) KiB tmpfs here (needs root or sudo): \(output.prefix(300))")
            try? FileManager.default.removeItem(at: url)
            return nil
        }
        return SmallDisk(url: url, sudo: sudo)
    }

    /// Everything on the disk, hidden files included, relative to its root.
    func files() -> [String] {
        let walker = FileManager.default.enumerator(atPath: url.path)
        var found: [String] = []
        while let next = walker?.nextObject() as? String { found.append(next) }
        return found.sorted()
    }

    deinit {
        _ = try? TestData.capture(URL(fileURLWithPath: "/usr/bin/env"), sudo + ["umount", url.path])
        try? FileManager.default.removeItem(at: url)
    }
}

extension ExperimentsSuite {
    /// A disk that fills up while a run writes its snapshots or its folder, or while a
    /// conversion writes its database: the failure is reported, the run is marked failed, the
    /// last complete snapshot stays whole and resumable, and nothing half-written is left
    /// looking complete.
    @Suite(.serialized, .enabled(if: TestData.available, "needs Debian's dataset-fashion-mnist (sh Scripts/bootstrap.sh installs it)"))
    struct FullDiskTests {
        static func train(on disk: SmallDisk, _ extra: [String]) throws -> (Int32, String, URL?) {
            try TestData.ensureFashionMNIST()
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let (status, output) = try TestData.capture(binary, ["lenet", "--results", disk.url.path, "--threads", "1",
                                                                 "--set", "solver.test_interval=0"] + extra)
            let runs = disk.url.appendingPathComponent("lenet")
            let run = (try? FileManager.default.contentsOfDirectory(atPath: runs.path))?.first { $0 != "latest" }
            return (status, output, run.map { runs.appendingPathComponent($0) })
        }

        /// summary.json's status and error, and the iterations trained.
        static func summary(_ run: URL) throws -> (status: String?, error: String?, iterations: Int?) {
            let data = try Data(contentsOf: run.appendingPathComponent("summary.json"))
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let summary = object["summary"] as? [String: Any]
            return (object["status"] as? String, object["error"] as? String, summary?["iterations"] as? Int)
        }

        /// 5 MiB holds one LeNet snapshot (weights and solver state, 1.7 MB each) but not two.
        @Test func aSnapshotThatDoesNotFitLeavesTheLastOneWhole() throws {
            guard let disk = try SmallDisk.mount(kib: 5 << 10) else { return }
            let (status, output, found) = try Self.train(on: disk, ["--iterations", "30", "--set", "solver.snapshot=10", "--quiet"])
            let run = try #require(found, "no run folder: \(output.suffix(600))")
            #expect(status != 0, "\(output.suffix(600))")
            #expect(output.contains("No space left on device"), "\(output.suffix(600))")
            #expect(output.contains("the snapshot of iteration 20 was not written"), "\(output.suffix(600))")
            #expect(output.contains("lenet_iter_10.solverstate, is intact"), "\(output.suffix(600))")
            let summary = try Self.summary(run)
            #expect(summary.status == "failed")
            #expect(summary.error?.contains("No space left on device") == true)
            let snapshots = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("snapshots").path).sorted()
            #expect(snapshots == ["lenet_iter_10.caffemodel", "lenet_iter_10.solverstate"], "\(snapshots)")
            #expect(!disk.files().contains { $0.contains(".tmp-") }, "\(disk.files())")

            // The snapshot left is whole: training resumes from it elsewhere.
            let elsewhere = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: elsewhere) }
            let state = run.appendingPathComponent("snapshots/lenet_iter_10.solverstate")
            try TestData.train(["lenet", "--resume", state.path, "--iterations", "12", "--results", elsewhere.path, "--quiet",
                                "--set", "solver.test_interval=0", "--set", "solver.snapshot=0"])
            let resumed = try Self.summary(elsewhere.appendingPathComponent("lenet/latest").resolvingSymlinksInPath())
            #expect(resumed.status == "finished")
            #expect(resumed.iterations == 12)
        }

        /// 48 KiB fills with train.log and metrics.csv long before any snapshot: the run stops,
        /// says why, and summary.json (from space held at the start) marks it failed.
        @Test func aRunFolderThatFillsTheDiskStopsTheRunMarkedFailed() throws {
            guard let disk = try SmallDisk.mount(kib: 48) else { return }
            let (status, output, found) = try Self.train(on: disk, ["--iterations", "2000", "--set", "solver.display=1",
                                                                    "--set", "solver.snapshot=0"])
            let run = try #require(found, "no run folder: \(output.suffix(600))")
            #expect(status != 0, "\(output.suffix(600))")
            #expect(output.contains("No space left on device"), "\(output.suffix(600))")
            #expect(!output.contains("Fatal error"), "\(output.suffix(600))")
            let summary = try Self.summary(run)
            #expect(summary.status == "failed")
            #expect(summary.error?.contains("No space left on device") == true, "\(summary.error ?? "")")
            let snapshots = try FileManager.default.contentsOfDirectory(atPath: run.appendingPathComponent("snapshots").path)
            #expect(snapshots.isEmpty, "\(snapshots)")
            #expect(!disk.files().contains { $0.contains(".tmp-") || $0.contains(".summary-space") }, "\(disk.files())")
        }

        /// 300 KiB holds one 256x256 record, not five: the conversion fails, saying so, and
        /// leaves neither a database nor its partial folder.
        @Test(arguments: ["lmdb", "leveldb"])
        func aDatabaseThatDoesNotFitIsNotLeftBehind(_ backend: String) throws {
            guard let disk = try SmallDisk.mount(kib: 300) else { return }
            let images = "Tests/RuntimeTests/Fixtures/images/"
            let list = try TestData.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: list) }
            let listFile = list.appendingPathComponent("list.txt")
            try ["grey.jpg 0", "progressive.jpg 1", "cmyk.jpg 2", "palette.png 3", "rgba.png 4"].joined(separator: "\n")
                .write(to: listFile, atomically: true, encoding: .utf8)
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let output = disk.url.appendingPathComponent("db").path
            let (status, text) = try TestData.capture(binary, ["prepare", "imageset", images, listFile.path, output,
                                                               "--resize", "256x256", "--backend", backend])
            #expect(status != 0, "\(text.suffix(600))")
            #expect(text.contains("No space left on device") || text.contains("is full"), "\(text.suffix(600))")
            #expect(disk.files().isEmpty, "\(disk.files())")
        }
    }
}
