import Foundation
import Testing
@testable import Experiments
@testable import Runtime

extension ExperimentsSuite {
    /// The TensorBoard event file: CRC32C against its published check values, the framing against
    /// bytes TensorBoard's own writer produced, and our files read back (by us, and by TensorBoard
    /// where it is installed).
    struct EventsWriterTests {
        static func temporaryDirectory() throws -> URL {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("crema-events-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            return url
        }

        /// Written by TensorBoard 2.21.0's own EventFileWriter
        /// (`tensorboard.summary.writer.event_file_writer.EventFileWriter`, Python), with events built
        /// from `tensorboard.compat.proto.event_pb2`/`summary_pb2`:
        /// train/loss = 2.302585 @ 0 (wall 1700000000.25), 1.25 @ 10 (1700000001.5), 0.5 @ 20
        /// (1700000002.75, with plugin metadata "scalars"); one event at step 20 (1700000003.0) with
        /// test/accuracy = 0.8125 and test/tensor_only, a DT_FLOAT tensor [7.0] and no simple_value;
        /// train/lr = -0.001 @ 5000000000 (1700000004.0). Its first event is TensorBoard's
        /// file_version one, which also carries source_metadata (field 10).
        static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/events.out.tfevents.tensorboard-2.21.0")

        // RFC 3720 B.4 and the common "123456789" check value.
        @Test func crc32cMatchesTheKnownCheckValues() {
            #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
            #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
            #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
            #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
            #expect(CRC32C.checksum((0..<32).reversed().map { UInt8($0) }) == 0x113F_DB5C)
            #expect(CRC32C.checksum([UInt8]()) == 0)
        }

        @Test func crc32cContinuesAcrossPieces() {
            let whole = CRC32C.checksum(Array("123456789".utf8))
            #expect(CRC32C.checksum(Array("6789".utf8), continuing: CRC32C.checksum(Array("12345".utf8))) == whole)
        }

        @Test func maskedChecksumIsTensorFlows() {
            // TensorBoard's masked_crc32c(b"123456789") and of the uint64 72, the length field of its
            // own first record in the fixture.
            #expect(CRC32C.mask(0xE306_9283) == 0xC78A_B0E5)
            #expect(CRC32C.maskedChecksum(EventsWriter.littleEndian(72, bytes: 8)) == 0x9D48_92FE)
            #expect(CRC32C.unmask(CRC32C.mask(0x1234_5678)) == 0x1234_5678)
        }

        @Test func readsTheFileTensorBoardWrote() throws {
            let events = try EventsReader.events(in: Self.fixture)
            #expect(events.count == 6)
            #expect(events.first?.fileVersion == "brain.Event:2")
            let scalars = try EventsReader.scalars(in: Self.fixture)
            #expect(scalars["train/loss"]?.map(\.step) == [0, 10, 20])
            #expect(scalars["train/loss"]?.map(\.value) == [2.302585, 1.25, 0.5])
            #expect(scalars["train/loss"]?.map(\.wallTime) == [1_700_000_000.25, 1_700_000_001.5, 1_700_000_002.75])
            #expect(scalars["test/accuracy"] == [.init(step: 20, wallTime: 1_700_000_003, value: 0.8125)])
            #expect(scalars["train/lr"] == [.init(step: 5_000_000_000, wallTime: 1_700_000_004, value: -0.001)])
            #expect(scalars["test/tensor_only"] == nil)
            #expect(events[4].values.map(\.tag) == ["test/accuracy", "test/tensor_only"])
        }

        @Test func encodesScalarEventsByteForByteAsTensorBoard() throws {
            let bytes = [UInt8](try Data(contentsOf: Self.fixture))
            let records = try EventsReader.records(in: bytes)
            // Records 1, 2 and 5 hold only wall_time, step and one simple_value: ours must be identical,
            // frame and checksums included.
            for i in [1, 2, 5] {
                let event = try EventProto(serialized: records[i].data)
                let framed = EventsWriter.record(event.serialized())
                let start = records[i].offset
                #expect(framed == Array(bytes[start..<(start + framed.count)]), "record \(i)")
            }
        }

        @Test func writesAFileItReadsBack() throws {
            let folder = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let date = Date(timeIntervalSince1970: 1_700_000_123.5)
            let writer = try EventsWriter(folder: folder, date: date, host: "box")
            #expect(writer.url.lastPathComponent == "events.out.tfevents.1700000123.box")
            try writer.scalar(tag: "train/loss", value: 2.5, step: 0, date: date)
            try writer.scalar(tag: "train/loss", value: 0.75, step: 100, date: date)
            try writer.scalar(tag: "test/accuracy", value: 0.875, step: 100, date: date)
            writer.flush()

            // A second writer in the same second does not overwrite the first.
            let second = try EventsWriter(folder: folder, date: date, host: "box")
            #expect(second.url.lastPathComponent == "events.out.tfevents.1700000123.box.1")

            let events = try EventsReader.events(in: writer.url)
            #expect(events.count == 4)
            #expect(events[0] == EventProto(wallTime: 1_700_000_123.5, step: 0, fileVersion: "brain.Event:2"))
            let scalars = try EventsReader.scalars(in: writer.url)
            #expect(scalars["train/loss"]?.map(\.step) == [0, 100])
            #expect(scalars["train/loss"]?.map(\.value) == [2.5, 0.75])
            #expect(scalars["test/accuracy"]?.map(\.value) == [0.875])
        }

        @Test func aDamagedFileIsAnErrorNamingTheRecord() throws {
            let folder = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            var bytes = [UInt8](try Data(contentsOf: Self.fixture))
            let second = try EventsReader.records(in: bytes)[1].offset
            bytes[second + 20] ^= 0x01
            #expect(throws: CLIError.self) { try EventsReader.records(in: bytes) }
            do {
                _ = try EventsReader.records(in: bytes)
            } catch let error as CLIError {
                #expect(error.message.contains("data checksum of the record at byte \(second)"))
            }
            bytes[second + 20] ^= 0x01
            bytes[second + 9] ^= 0x01
            #expect(throws: CLIError.self) { try EventsReader.records(in: bytes) }
            bytes[second + 9] ^= 0x01
            #expect(throws: CLIError.self) { try EventsReader.records(in: Array(bytes.dropLast(3))) }
            #expect(try EventsReader.records(in: bytes).count == 6)
        }

        @Test func theRunRecorderWritesEveryMetricAsAScalar() throws {
            let folder = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let recorder = try RunRecorder(folder: folder, echo: false)
            recorder.metric(iteration: 10, phase: .train, name: "loss", value: 1.5)
            recorder.metric(iteration: 20, phase: .train, name: "loss", value: 1.25)
            recorder.metric(iteration: 20, phase: .test, name: "accuracy", value: 0.5)
            recorder.finish()
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { $0.hasPrefix("events.out.tfevents.") }
            #expect(files.count == 1)
            let file = try #require(files.first)
            let scalars = try EventsReader.scalars(in: folder.appendingPathComponent(file))
            #expect(Set(scalars.keys) == ["train/loss", "test/accuracy"])
            #expect(scalars["train/loss"]?.map(\.step) == [10, 20])
            #expect(scalars["train/loss"]?.map(\.value) == [1.5, 1.25])
            #expect(scalars["test/accuracy"]?.map(\.value) == [0.5])
        }

        /// Python with TensorBoard: `TENSORBOARD_PYTHON` if set, else python3.
        static let python = ProcessInfo.processInfo.environment["TENSORBOARD_PYTHON"] ?? "python3"

        static func runPython(_ script: String, _ arguments: [String] = []) -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, "-c", script] + arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            do { try process.run() } catch { return (-1, "\(error)") }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }

        static let tensorBoardInstalled = runPython("import tensorboard").status == 0

        @Test(.enabled(if: tensorBoardInstalled,
                       "needs Python with tensorboard (pip install tensorboard; set TENSORBOARD_PYTHON to its python); the fixture test covers the format without it"))
        func tensorBoardReadsOurFile() throws {
            let folder = try Self.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: folder) }
            let writer = try EventsWriter(folder: folder)
            try writer.scalar(tag: "train/loss", value: 2.25, step: 0)
            try writer.scalar(tag: "train/loss", value: 0.5, step: 50)
            try writer.scalar(tag: "test/accuracy", value: 0.75, step: 50)
            writer.flush()
            let script = """
                import sys
                from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
                acc = EventAccumulator(sys.argv[1])
                acc.Reload()
                for tag in sorted(acc.Tags()["scalars"]):
                    for e in acc.Scalars(tag):
                        print(tag, e.step, e.value)
                """
            let (status, output) = Self.runPython(script, [folder.path])
            #expect(status == 0, "\(output)")
            let lines = output.split(separator: "\n").filter { !$0.contains("WARNING") && !$0.contains("Warning") }
            #expect(lines == ["test/accuracy 50 0.75", "train/loss 0 2.25", "train/loss 50 0.5"], "\(output)")
        }
    }
}
