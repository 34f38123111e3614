import Foundation
import Testing
@testable import Runtime

/// One decoded image as an independent decoder (Pillow, see Fixtures/images/make_fixtures.py)
/// sees it: size, channels, per-channel means, an FNV-1a hash of every interleaved byte, and a
/// few pixels.
struct ExpectedImage: Sendable, CustomTestStringConvertible {
    struct Sample: Sendable {
        let x: Int, y: Int
        let values: [UInt8]
        init(_ x: Int, _ y: Int, _ values: [UInt8]) {
            self.x = x
            self.y = y
            self.values = values
        }
    }

    let name: String
    let width: Int, height: Int, channels: Int
    let means: [Double]
    let hash: UInt64
    let samples: [Sample]

    init(_ name: String, _ width: Int, _ height: Int, _ channels: Int, means: [Double], hash: UInt64, samples: [Sample]) {
        self.name = name
        self.width = width
        self.height = height
        self.channels = channels
        self.means = means
        self.hash = hash
        self.samples = samples
    }

    var testDescription: String { name }
}

/// Paths and expected values for the image tests.
enum ImageFixtures {
    /// Tests/RuntimeTests/Fixtures/images.
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/images")
    /// The shared real photos: ../shared/data/images from the package root.
    static let photos = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data/images").standardizedFileURL
    static let photosPresent = FileManager.default.fileExists(atPath: photos.appendingPathComponent("chelsea.png").path)
    static let photosMissing: Comment = "the shared photos are missing: expected chelsea.png etc. in ../shared/data/images (from the package root)"

    static func fixture(_ name: String) -> URL { folder.appendingPathComponent(name) }
    static func photo(_ name: String) -> URL { photos.appendingPathComponent(name) }

    /// Raw bytes of a fixture (the resize references are interleaved RGB).
    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: fixture(name))) }

    /// 64-bit FNV-1a, as make_fixtures.py computes it.
    static func fnv(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    static func means(_ image: Image) -> [Double] {
        var sums = [Double](repeating: 0, count: image.channels)
        for (i, v) in image.pixels.enumerated() { sums[i % image.channels] += Double(v) }
        return sums.map { $0 / Double(image.width * image.height) }
    }

    /// Checks `image` against `expected` exactly (means to the 4 decimals they were printed with).
    static func check(_ image: Image, _ expected: ExpectedImage) {
        #expect(image.width == expected.width && image.height == expected.height && image.channels == expected.channels,
                "\(expected.name): \(image.width)x\(image.height)x\(image.channels)")
        let m = means(image)
        #expect(m.count == expected.means.count)
        for (a, b) in zip(m, expected.means) { #expect(abs(a - b) < 0.00006, "\(expected.name): mean \(a), expected \(b)") }
        for s in expected.samples {
            #expect(image.pixel(x: s.x, y: s.y) == s.values, "\(expected.name) at (\(s.x), \(s.y))")
        }
        #expect(fnv(image.pixels) == expected.hash, "\(expected.name): the bytes differ from the reference decoder's")
    }

    /// Generated variants (Fixtures/images), decoded by Pillow (CMYK by OpenCV).
    static let variants: [ExpectedImage] = [
        ExpectedImage("progressive.jpg", 96, 64, 3, means: [147.6979, 111.4421, 86.8340], hash: 0xb419ce97570d25f5,
                      samples: [.init(0, 0, [150, 126, 116]), .init(95, 0, [51, 29, 16]), .init(48, 32, [196, 154, 116]), .init(32, 42, [163, 113, 86]), .init(95, 63, [169, 148, 143])]),
        ExpectedImage("grey.jpg", 96, 64, 1, means: [119.4823], hash: 0x2c99f68dfa4ccaca,
                      samples: [.init(0, 0, [132]), .init(95, 0, [34]), .init(48, 32, [162]), .init(32, 42, [125]), .init(95, 63, [154])]),
        // CMYK as OpenCV's imread converts it (Caffe's road), which differs from Pillow's rounding
        // by a level in most values.
        ExpectedImage("cmyk.jpg", 96, 64, 3, means: [147.6733, 112.3560, 87.8045], hash: 0x074062c26c0a117a,
                      samples: [.init(0, 0, [149, 129, 112]), .init(95, 0, [50, 32, 19]), .init(48, 32, [192, 153, 123]), .init(32, 42, [163, 116, 81]), .init(95, 63, [170, 147, 141])]),
        // cmyk.jpg without its Adobe marker: still read as inverted CMYK, as Pillow and OpenCV do.
        ExpectedImage("cmyk-plain.jpg", 96, 64, 3, means: [147.6733, 112.3560, 87.8045], hash: 0x074062c26c0a117a,
                      samples: [.init(0, 0, [149, 129, 112]), .init(95, 0, [50, 32, 19]), .init(48, 32, [192, 153, 123]), .init(32, 42, [163, 116, 81]), .init(95, 63, [170, 147, 141])]),
        ExpectedImage("palette.png", 96, 64, 3, means: [147.6743, 111.4976, 86.7222], hash: 0x42b01ae02f9e5298,
                      samples: [.init(0, 0, [146, 120, 107]), .init(95, 0, [40, 28, 18]), .init(48, 32, [191, 151, 121]), .init(32, 42, [159, 115, 83]), .init(95, 63, [173, 146, 135])]),
        ExpectedImage("palette4.png", 96, 64, 3, means: [148.0996, 111.7321, 86.9608], hash: 0x51f7e400d1369e20,
                      samples: [.init(0, 0, [151, 121, 101]), .init(95, 0, [72, 48, 30]), .init(48, 32, [181, 150, 133]), .init(32, 42, [163, 119, 85]), .init(95, 63, [181, 150, 133])]),
        ExpectedImage("grey1.png", 96, 64, 1, means: [119.3652], hash: 0x949c0eb690b61d5f,
                      samples: [.init(0, 0, [255]), .init(95, 0, [0]), .init(48, 32, [0]), .init(32, 42, [0]), .init(95, 63, [255])]),
        ExpectedImage("rgba.png", 96, 64, 3, means: [147.6698, 111.4460, 86.7935], hash: 0x59f9e0c040a9dfc1,
                      samples: [.init(0, 0, [147, 124, 110]), .init(95, 0, [50, 31, 18]), .init(48, 32, [189, 148, 119]), .init(32, 42, [165, 119, 83]), .init(95, 63, [171, 147, 140])]),
        ExpectedImage("greyalpha.png", 96, 64, 1, means: [147.6698], hash: 0xd35c47219833ef76,
                      samples: [.init(0, 0, [147]), .init(95, 0, [50]), .init(48, 32, [189]), .init(32, 42, [165]), .init(95, 63, [171])]),
        ExpectedImage("interlaced.png", 96, 64, 3, means: [147.6698, 111.4460, 86.7935], hash: 0x59f9e0c040a9dfc1,
                      samples: [.init(0, 0, [147, 124, 110]), .init(95, 0, [50, 31, 18]), .init(48, 32, [189, 148, 119]), .init(32, 42, [165, 119, 83]), .init(95, 63, [171, 147, 140])]),
        ExpectedImage("grey16.png", 96, 64, 1, means: [111.4624], hash: 0x4ab4801a1f0e05ba,
                      samples: [.init(0, 0, [124]), .init(95, 0, [31]), .init(48, 32, [148]), .init(32, 42, [119]), .init(95, 63, [147])]),
        ExpectedImage("rgb16.png", 96, 64, 3, means: [147.6698, 111.4460, 86.7935], hash: 0x59f9e0c040a9dfc1,
                      samples: [.init(0, 0, [147, 124, 110]), .init(95, 0, [50, 31, 18]), .init(48, 32, [189, 148, 119]), .init(32, 42, [165, 119, 83]), .init(95, 63, [171, 147, 140])]),
    ]

    /// The shared photos, decoded by Pillow.
    static let realPhotos: [ExpectedImage] = [
        ExpectedImage("chelsea.png", 451, 300, 3, means: [147.6731, 111.4445, 86.7979], hash: 0xb2179687966157a8,
                      samples: [.init(0, 0, [143, 120, 104]), .init(450, 0, [45, 27, 13]), .init(225, 150, [190, 150, 124]), .init(150, 200, [162, 116, 83]), .init(450, 299, [162, 138, 128])]),
        ExpectedImage("coffee.png", 600, 400, 3, means: [158.5691, 85.7940, 51.4847], hash: 0xd261c1b91ef6ee1e,
                      samples: [.init(0, 0, [21, 13, 8]), .init(599, 0, [228, 184, 140]), .init(300, 200, [248, 250, 255]), .init(200, 266, [145, 32, 8]), .init(599, 399, [143, 60, 29])]),
        ExpectedImage("astronaut.png", 512, 512, 3, means: [141.5625, 105.7594, 96.4751], hash: 0xfa4e6bff08e5e8fb,
                      samples: [.init(0, 0, [154, 147, 151]), .init(511, 0, [125, 119, 110]), .init(256, 256, [19, 14, 7]), .init(170, 341, [228, 113, 74]), .init(511, 511, [0, 0, 0])]),
        ExpectedImage("rocket.jpg", 640, 427, 3, means: [52.2657, 61.2943, 82.2711], hash: 0x34b9b35d9b0edb19,
                      samples: [.init(0, 0, [17, 33, 58]), .init(639, 0, [7, 18, 36]), .init(320, 213, [132, 123, 114]), .init(213, 284, [73, 91, 127]), .init(639, 426, [83, 61, 37])]),
    ]
}
