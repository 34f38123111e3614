import Foundation
import Testing
@testable import Runtime

@Suite struct ImageTests {
    @Test func caffeLayoutIsChannelsFirstInBlueGreenRedOrder() throws {
        // 2x1 RGB: (1, 2, 3) then (4, 5, 6).
        let image = try Image(width: 2, height: 1, channels: 3, pixels: [1, 2, 3, 4, 5, 6])
        #expect(image.caffeBytes() == [3, 6, 2, 5, 1, 4])
        #expect(try Image(caffeBytes: [3, 6, 2, 5, 1, 4], channels: 3, height: 1, width: 2) == image)
        let grey = try Image(width: 2, height: 1, channels: 1, pixels: [9, 8])
        #expect(grey.caffeBytes() == [9, 8])
        #expect(image.shape == [3, 1, 2])
    }

    @Test func rejectsPixelsThatDoNotFit() {
        #expect(throws: ImageError.self) { try Image(width: 2, height: 2, channels: 3, pixels: [0]) }
        #expect(throws: ImageError.self) { try Image(width: 1, height: 1, channels: 4, pixels: [0, 0, 0, 0]) }
        #expect(throws: ImageError.self) { try Image(width: 0, height: 1, channels: 1, pixels: []) }
        #expect(throws: ImageError.self) { try Image(caffeBytes: [1, 2], channels: 3, height: 1, width: 1) }
    }

    @Test func greyIsOpenCVsBT601Luma() throws {
        // 0.299 R + 0.587 G + 0.114 B: pure red 76, green 150, blue 29; white stays 255.
        let image = try Image(width: 4, height: 1, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
        #expect(try image.converted(toChannels: 1).pixels == [76, 150, 29, 255])
        let back = try image.converted(toChannels: 1).converted(toChannels: 3)
        #expect(back.pixels == [76, 76, 76, 150, 150, 150, 29, 29, 29, 255, 255, 255])
        #expect(throws: ImageError.self) { try image.converted(toChannels: 2) }
    }

    @Test(.enabled(if: ImageFixtures.photosPresent, ImageFixtures.photosMissing))
    func greyMatchesOpenCVOnAPhoto() throws {
        let chelsea = try ImageDecoder.decode(file: ImageFixtures.photo("chelsea.png").path)
        // cv2.cvtColor(chelsea, COLOR_RGB2GRAY), hashed by make_fixtures.py.
        #expect(ImageFixtures.fnv(try chelsea.converted(toChannels: 1).pixels) == 0xf897_d819_1ba4_26bf)
    }

    @Test func pngRoundTripsExactly() throws {
        let image = try ImageDecoder.decode(file: ImageFixtures.fixture("rgba.png").path)
        let encoded = try PNG.encode(image)
        #expect(ImageFormat(sniffing: encoded) == .png)
        #expect(try PNG.decode(encoded, source: "memory") == image)
        let grey = try image.converted(toChannels: 1)
        #expect(try PNG.decode(try PNG.encode(grey, level: 1), source: "memory") == grey)
    }

    @Test func jpegRoundTripsClosely() throws {
        let image = try ImageDecoder.decode(file: ImageFixtures.fixture("interlaced.png").path)
        let encoded = try JPEG.encode(image)
        #expect(ImageFormat(sniffing: encoded) == .jpeg)
        let back = try JPEG.decode(encoded, source: "memory")
        #expect(back.width == 96 && back.height == 64 && back.channels == 3)
        // Quality 95 on a small, detailed photo: a mean error of a few levels (2.1 measured;
        // quality 20 is several times worse).
        let error = zip(back.pixels, image.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(image.pixels.count)
        #expect(error < 3, "mean absolute error \(error)")
        let worse = try JPEG.decode(try JPEG.encode(image, quality: 20), source: "memory")
        let worseError = zip(worse.pixels, image.pixels).map { abs(Double($0) - Double($1)) }.reduce(0, +) / Double(image.pixels.count)
        #expect(worseError > 2 * error, "quality 20: \(worseError), quality 95: \(error)")

        let grey = try image.converted(toChannels: 1)
        #expect(try JPEG.decode(try JPEG.encode(grey), source: "memory").channels == 1)
    }
}
