import Foundation
import Testing
@testable import Runtime

@Suite struct IDXTests {
    @Test func readsAGzippedFile() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let url = dir.appendingPathComponent("images.gz")
        let bytes: [UInt8] = (0..<(4 * 3 * 2)).map { UInt8($0 * 5) }
        try IDXFile.write(dims: [4, 3, 2], bytes: bytes, to: url)
        // The file really is gzip (magic 1f 8b), as the distributed files are.
        let raw = try Data(contentsOf: url)
        #expect(Array(raw.prefix(2)) == [0x1F, 0x8B])

        let file = try IDXFile.read(url)
        #expect(file.type == .uint8)
        #expect(file.dims == [4, 3, 2])
        #expect(file.itemCount == 4)
        #expect(file.itemSize == 6)
        #expect(Array(file.bytes) == bytes)
        #expect(Array(file.item(2)) == Array(bytes[12..<18]))
    }

    @Test func readsOnlyTheFirstItemsWhenLimited() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let url = dir.appendingPathComponent("labels.gz")
        try IDXFile.write(dims: [10], bytes: (0..<10).map { UInt8($0) }, to: url)
        let file = try IDXFile.read(url, maxItems: 3)
        #expect(file.dims == [10])
        #expect(file.itemCount == 3)
        #expect(Array(file.bytes) == [0, 1, 2])
    }

    @Test func readsAPlainFileToo() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let url = dir.appendingPathComponent("plain-idx1-ubyte")
        try Data([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]).write(to: url)
        let file = try IDXFile.read(url)
        #expect(file.dims == [2])
        #expect(Array(file.bytes) == [7, 9])
    }

    @Test func badFilesAreNamedInTheError() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }

        let notIDX = dir.appendingPathComponent("not-idx")
        try Data([0x50, 0x4B, 3, 4, 0, 0, 0, 0]).write(to: notIDX)
        expectIDXError(try IDXFile.read(notIDX), file: notIDX.path, mentions: "not an IDX file")

        let badType = dir.appendingPathComponent("bad-type")
        try Data([0, 0, 0x42, 1, 0, 0, 0, 1, 0]).write(to: badType)
        expectIDXError(try IDXFile.read(badType), file: badType.path, mentions: "element type")

        // The header promises 5 items of 4 bytes but only 6 bytes follow.
        let truncated = dir.appendingPathComponent("truncated")
        try Data([0, 0, 8, 2, 0, 0, 0, 5, 0, 0, 0, 4, 1, 2, 3, 4, 5, 6]).write(to: truncated)
        expectIDXError(try IDXFile.read(truncated), file: truncated.path, mentions: "cut short")

        let missing = dir.appendingPathComponent("missing.gz")
        expectIDXError(try IDXFile.read(missing), file: missing.path, mentions: "does not exist")
    }

    private func expectIDXError(_ body: @autoclosure () throws -> IDXFile, file: String, mentions text: String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try body()
            Issue.record("no error for \(file)", sourceLocation: sourceLocation)
        } catch let error as DataError {
            guard case let .idx(errorFile, problem) = error else {
                Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(errorFile == file, sourceLocation: sourceLocation)
            #expect(problem.contains(text), "\(problem)", sourceLocation: sourceLocation)
            #expect(error.description.contains(file), sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }
}
