import Foundation
import Testing
@testable import Runtime

@Suite struct ResizeTests {
    @Test func bilinearWithHalfPixelCentresByHand() throws {
        // Output x samples the source at (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped:
        // weights (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1); the same down the rows.
        let image = try Image(width: 2, height: 2, channels: 1, pixels: [0, 100, 200, 40])
        let big = try image.resized(width: 4, height: 4)
        #expect(big.pixels == [0, 25, 75, 100,
                               50, 59, 76, 85,        // 58.75, 76.25 round to 59, 76
                               150, 126, 79, 55,      // 126.25, 78.75
                               200, 160, 80, 40])
    }

    @Test func areaAveragesByHand() throws {
        let image = try Image(width: 4, height: 4, channels: 1, pixels: [10, 20, 30, 40,
                                                                         50, 60, 70, 80,
                                                                         90, 100, 110, 120,
                                                                         130, 140, 150, 162])
        // Each output is the mean of a 2x2 block; 542 / 4 = 135.5 rounds up.
        #expect(try image.resized(width: 2, height: 2, filter: .area).pixels == [35, 55, 115, 136])
        // 3 -> 2: each output covers 1.5 x 1.5 source pixels; the middle row and column count half.
        let odd = try Image(width: 3, height: 3, channels: 1, pixels: [0, 30, 60, 90, 120, 150, 180, 210, 240])
        #expect(try odd.resized(width: 2, height: 2, filter: .area).pixels == [40, 80, 160, 200])
        // Ties: an exact halving rounds them up (0.5 -> 1), other factors to even (0.5 -> 0,
        // 1.5 -> 2), as OpenCV's INTER_AREA does.
        let half = try Image(width: 2, height: 2, channels: 1, pixels: [0, 0, 1, 1])
        #expect(try half.resized(width: 1, height: 1, filter: .area).pixels == [1])
        let quarter = try Image(width: 4, height: 4, channels: 1, pixels: [2, 2, 2, 2] + [UInt8](repeating: 0, count: 12))
        #expect(try quarter.resized(width: 1, height: 1, filter: .area).pixels == [0])
        let quarter2 = try Image(width: 4, height: 4, channels: 1, pixels: [2, 2, 2, 2, 4, 4, 4, 4] + [UInt8](repeating: 0, count: 8))
        #expect(try quarter2.resized(width: 1, height: 1, filter: .area).pixels == [2])
        // Colour channels are averaged separately.
        let colour = try Image(width: 2, height: 1, channels: 3, pixels: [0, 10, 255, 100, 20, 255])
        #expect(try colour.resized(width: 1, height: 1, filter: .area).pixels == [50, 15, 255])
    }

    @Test func areaWhenEnlargingIsLinear() throws {
        let image = try Image(width: 2, height: 2, channels: 1, pixels: [0, 100, 200, 40])
        #expect(try image.resized(width: 4, height: 4, filter: .area) == image.resized(width: 4, height: 4, filter: .linear))
        #expect(try image.resized(width: 1, height: 4, filter: .area) == image.resized(width: 1, height: 4, filter: .linear))
    }

    @Test func sameSizeIsUnchangedAndBadSizesAreErrors() throws {
        let image = try Image(width: 3, height: 2, channels: 3, pixels: (0..<18).map { UInt8($0 * 13) })
        #expect(try image.resized(width: 3, height: 2) == image)
        #expect(throws: ImageError.self) { try image.resized(width: 0, height: 2) }
        #expect(throws: ImageError.self) { try image.resized(width: 3, height: -1) }
        let line = try image.resized(width: 1, height: 1)
        #expect(line.width == 1 && line.height == 1 && line.channels == 3)
    }

    /// Differences from OpenCV's result: (largest, count).
    static func compare(_ image: Image, _ reference: [UInt8]) -> (Int, Int) {
        #expect(image.pixels.count == reference.count)
        let d = zip(image.pixels, reference).map { abs(Int($0) - Int($1)) }
        return (d.max() ?? 0, d.filter { $0 > 0 }.count)
    }

    static func chelsea() throws -> Image { try ImageDecoder.decode(file: ImageFixtures.photo("chelsea.png").path) }

    static func crop(_ image: Image, x: Int, y: Int, width: Int, height: Int) throws -> Image {
        var pixels: [UInt8] = []
        for row in y..<y + height {
            let start = (row * image.width + x) * image.channels
            pixels += image.pixels[start..<start + width * image.channels]
        }
        return try Image(width: width, height: height, channels: image.channels, pixels: pixels)
    }

    @Test(.enabled(if: ImageFixtures.photosPresent, ImageFixtures.photosMissing))
    func linearShrinkMatchesOpenCVExactly() throws {
        let small = try Self.chelsea().resized(width: 37, height: 23)
        #expect(Self.compare(small, try ImageFixtures.bytes("chelsea_linear_37x23.rgb")) == (0, 0))
    }

    @Test(.enabled(if: ImageFixtures.photosPresent, ImageFixtures.photosMissing))
    func linearShrinkOfAJPEGMatchesOpenCVExactly() throws {
        let rocket = try ImageDecoder.decode(file: ImageFixtures.photo("rocket.jpg").path)
        // cv2.resize(Pillow's decode of rocket.jpg, (256, 256), INTER_LINEAR), hashed.
        #expect(ImageFixtures.fnv(try rocket.resized(width: 256, height: 256).pixels) == 0xda99_e11c_e45a_1296)
    }

    @Test(.enabled(if: ImageFixtures.photosPresent, ImageFixtures.photosMissing))
    func linearEnlargeMatchesOpenCVExactly() throws {
        let patch = try Self.crop(Self.chelsea(), x: 200, y: 100, width: 25, height: 20)
        // The first and last rows weigh the edge row twice, as OpenCV does (see LinearTaps).
        #expect(Self.compare(try patch.resized(width: 60, height: 45), try ImageFixtures.bytes("chelsea_linear_up_60x45.rgb")) == (0, 0))
    }

    @Test(.enabled(if: ImageFixtures.photosPresent, ImageFixtures.photosMissing))
    func areaMatchesOpenCV() throws {
        let chelsea = try Self.chelsea()
        // Non-integer factors (451 -> 64, 300 -> 43): OpenCV sums in floats, we in integers;
        // on this photo the results agree.
        #expect(Self.compare(try chelsea.resized(width: 64, height: 43, filter: .area), try ImageFixtures.bytes("chelsea_area_64x43.rgb")) == (0, 0))
        // A factor of 4 on both axes, with its many ties.
        let patch = try Self.crop(chelsea, x: 0, y: 0, width: 200, height: 148)
        #expect(Self.compare(try patch.resized(width: 50, height: 37, filter: .area), try ImageFixtures.bytes("chelsea_area_50x37.rgb")) == (0, 0))
    }
}
