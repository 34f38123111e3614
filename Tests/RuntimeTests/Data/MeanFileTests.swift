import Foundation
import SwiftProtobuf
import Testing
@testable import Runtime

@Suite struct MeanFileTests {
    @Test func writesAndReadsA1xCxHxWBlob() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let url = dir.appendingPathComponent("mean.binaryproto")
        let mean = MeanImage(channels: 2, height: 2, width: 3, values: (0..<12).map { Float($0) * 0.25 })
        try MeanFile.write(mean, to: url)
        #expect(try MeanFile.read(url) == mean)

        let blob = try Caffe_BlobProto(serializedBytes: try Data(contentsOf: url))
        #expect(blob.shape.dim == [1, 2, 2, 3])
        // Nothing but the finished file is left in the folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["mean.binaryproto"])
    }

    @Test func readsLegacyDimensions() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        var blob = Caffe_BlobProto()
        blob.num = 1
        blob.channels = 1
        blob.height = 2
        blob.width = 2
        blob.doubleData = [1, 2, 3, 4]
        let url = dir.appendingPathComponent("legacy.binaryproto")
        try blob.serializedData().write(to: url)
        #expect(try MeanFile.read(url) == MeanImage(channels: 1, height: 2, width: 2, values: [1, 2, 3, 4]))
    }

    @Test func badMeanFilesAreNamed() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let missing = dir.appendingPathComponent("none.binaryproto")
        #expect { try MeanFile.read(missing) } throws: { error in
            guard case let .meanFile(path, problem)? = error as? DataError else { return false }
            return path == missing.path && problem.contains("does not exist")
        }

        var blob = Caffe_BlobProto()
        var shape = Caffe_BlobShape()
        shape.dim = [1, 1, 2, 2]
        blob.shape = shape
        blob.data = [1, 2, 3]
        let short = dir.appendingPathComponent("short.binaryproto")
        try blob.serializedData().write(to: short)
        #expect { try MeanFile.read(short) } throws: { error in
            guard case let .meanFile(path, problem)? = error as? DataError else { return false }
            return path == short.path && problem.contains("3 values")
        }
    }

    @Test func computesTheMeanOfADatabase() throws {
        let dir = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(dir) }
        let db = try DataFixtures.database(at: dir.appendingPathComponent("db"), count: 5, shape: [1, 2, 2])
        let mean = try MeanFile.compute(database: db.path)
        #expect(mean.shape == [1, 2, 2])
        for p in 0..<4 {
            let pixels: [Float] = (0..<5).map { (r: Int) -> Float in Float(DataFixtures.pixel(record: r, position: p)) }
            let expected = pixels.reduce(0, +) / 5
            #expect(abs(mean.values[p] - expected) < 1e-5)
        }
    }
}
