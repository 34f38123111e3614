import Foundation
import Testing
@testable import Runtime

@Suite struct ImageDecoderTests {
    @Test(arguments: ImageFixtures.variants)
    func decodesEachVariantAsPillowDoes(_ expected: ExpectedImage) throws {
        let image = try ImageDecoder.decode(file: ImageFixtures.fixture(expected.name).path)
        ImageFixtures.check(image, expected)
    }

    @Test(.enabled(if: ImageFixtures.photosPresent, ImageFixtures.photosMissing), arguments: ImageFixtures.realPhotos)
    func decodesTheRealPhotosAsPillowDoes(_ expected: ExpectedImage) throws {
        let image = try ImageDecoder.decode(file: ImageFixtures.photo(expected.name).path)
        ImageFixtures.check(image, expected)
    }

    @Test func tellsTheFormatByItsBytesNotItsName() throws {
        let png = try Data(contentsOf: ImageFixtures.fixture("palette.png"))
        let folder = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(folder) }
        let misnamed = folder.appendingPathComponent("really-a-png.jpg")
        try png.write(to: misnamed)
        #expect(ImageFormat(sniffing: png) == .png)
        #expect(try ImageDecoder.decode(file: misnamed.path) == ImageDecoder.decode(png, source: "memory"))
        let jpeg = try Data(contentsOf: ImageFixtures.fixture("grey.jpg"))
        #expect(ImageFormat(sniffing: jpeg) == .jpeg)
        #expect(ImageFormat(sniffing: Data("GIF89a".utf8)) == nil)
        #expect(ImageFormat(name: "JPG") == .jpeg && ImageFormat(name: "png") == .png && ImageFormat(name: "gif") == nil)
    }

    @Test func errorsNameTheFileAndTheReason() throws {
        let folder = try DataFixtures.folder()
        defer { DataFixtures.cleanUp(folder) }
        func error(_ name: String, _ bytes: Data?) -> ImageError? {
            let url = folder.appendingPathComponent(name)
            if let bytes { try? bytes.write(to: url) }
            do {
                _ = try ImageDecoder.decode(file: url.path)
                return nil
            } catch {
                return error as? ImageError
            }
        }
        let jpeg = try Data(contentsOf: ImageFixtures.fixture("progressive.jpg"))
        let png = try Data(contentsOf: ImageFixtures.fixture("rgba.png"))

        let missing = try #require(error("missing.jpg", nil))
        #expect(missing.kind == "unreadable" && "\(missing)".contains("missing.jpg") && "\(missing)".contains("does not exist"))
        #expect(error("", nil)?.kind == "unreadable")  // the folder itself

        #expect(error("empty.png", Data())?.kind == "truncated")
        let cutJPEG = try #require(error("cut.jpg", jpeg.prefix(jpeg.count / 2)))
        #expect(cutJPEG.kind == "truncated" && "\(cutJPEG)".contains("cut.jpg"))
        #expect(error("header-only.jpg", jpeg.prefix(40))?.kind == "truncated")
        let cutPNG = try #require(error("cut.png", png.prefix(png.count / 2)))
        #expect(cutPNG.kind == "truncated" && "\(cutPNG)".contains("cut.png"))

        // A JPEG whose frame header claims no colour components.
        var badJPEG = jpeg
        let frame = try #require(badJPEG.range(of: Data([0xFF, 0xC2])))  // progressive start-of-frame
        badJPEG[frame.lowerBound + 9] = 0
        #expect(error("bad.jpg", badJPEG)?.kind == "corrupt")
        // Garbage after the start marker: a segment length that runs off the end.
        var garbage = jpeg
        for i in 4..<200 { garbage[i] = 0x5A }
        #expect(error("garbage.jpg", garbage)?.kind == "truncated")
        // A PNG with a damaged image chunk: its CRC no longer matches.
        var badPNG = png
        let idat = try #require(badPNG.range(of: Data("IDAT".utf8)))
        for i in idat.upperBound + 10..<idat.upperBound + 60 { badPNG[i] ^= 0xFF }
        #expect(error("bad.png", badPNG)?.kind == "corrupt")

        let text = try #require(error("notes.txt", Data("hello, world".utf8)))
        #expect(text.kind == "unsupported" && "\(text)".contains("not a JPEG or PNG"))
    }

    @Test func encodedRecordsDecodeToCaffesLayout() throws {
        let bytes = try Data(contentsOf: ImageFixtures.fixture("interlaced.png"))
        let image = try ImageDecoder.decode(bytes, source: "interlaced.png")
        var datum = Caffe_Datum()
        datum.data = bytes
        datum.encoded = true
        datum.label = 7
        let raw = try datum.decoded()
        #expect(!raw.encoded && raw.label == 7 && raw.shape == [3, 64, 96])
        #expect([UInt8](raw.data) == image.caffeBytes())

        let plain = Caffe_Datum(channels: 1, height: 1, width: 2, bytes: [1, 2], label: 3)
        #expect(try plain.decoded() == plain)

        var broken = datum
        broken.data = bytes.prefix(100)
        #expect { try broken.decoded() } throws: { error in
            guard case DataError.badRecord(_, _, let problem) = error else { return false }
            return problem.contains("truncated")
        }
    }
}
