import Foundation

/// An 8-bit image in memory: rows top to bottom, pixels left to right, channels interleaved
/// (one grey channel, or red, green, blue). Caffe stores images channels-first in blue, green,
/// red order; `caffeBytes()` gives that layout.
public struct Image: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// 1 (grey) or 3 (red, green, blue).
    public let channels: Int
    /// `height * width * channels` bytes, interleaved.
    public var pixels: [UInt8]

    /// Checks that the sizes are positive, `channels` is 1 or 3 and `pixels` fills the image.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0 else {
            throw ImageError.invalid(problem: "an image of \(width)x\(height) pixels; both sizes must be positive")
        }
        guard channels == 1 || channels == 3 else {
            throw ImageError.invalid(problem: "\(channels) channels; an image has 1 (grey) or 3 (colour)")
        }
        guard pixels.count == width * height * channels else {
            throw ImageError.invalid(problem: "\(pixels.count) bytes for a \(width)x\(height) image of \(channels) channels, which needs \(width * height * channels)")
        }
        self.init(unchecked: width, height, channels, pixels)
    }

    /// For sizes the caller has already checked.
    init(unchecked width: Int, _ height: Int, _ channels: Int, _ pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// `[channels, height, width]`, the shape of the Caffe record.
    public var shape: [Int] { [channels, height, width] }

    /// The channel values at column `x`, row `y` (grey, or red, green, blue); nil outside.
    public func pixel(x: Int, y: Int) -> [UInt8]? {
        guard x >= 0, x < width, y >= 0, y < height else { return nil }
        let start = (y * width + x) * channels
        return Array(pixels[start..<start + channels])
    }

    /// The image with `count` channels: grey is repeated into red, green and blue; colour
    /// becomes grey by BT.601 luma (0.299 R + 0.587 G + 0.114 B) in OpenCV's 14-bit fixed point,
    /// rounded, as OpenCV's `cvtColor` (and so Caffe's `--gray`) computes it.
    public func converted(toChannels count: Int) throws -> Image {
        guard count == 1 || count == 3 else {
            throw ImageError.invalid(problem: "cannot convert to \(count) channels; use 1 (grey) or 3 (colour)")
        }
        if count == channels { return self }
        let n = width * height
        var out = [UInt8](repeating: 0, count: n * count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                if count == 3 {
                    for i in 0..<n {
                        let v = src[i]
                        dst[3 * i] = v
                        dst[3 * i + 1] = v
                        dst[3 * i + 2] = v
                    }
                } else {
                    for i in 0..<n {
                        let r = UInt32(src[3 * i]), g = UInt32(src[3 * i + 1]), b = UInt32(src[3 * i + 2])
                        dst[i] = UInt8((r * 4899 + g * 9617 + b * 1868 + 8192) >> 14)
                    }
                }
            }
        }
        return Image(unchecked: width, height, count, out)
    }

    /// The pixels as Caffe stores them: channels first, colour in blue, green, red order.
    public func caffeBytes() -> [UInt8] {
        if channels == 1 { return pixels }
        let plane = width * height
        var out = [UInt8](repeating: 0, count: plane * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<plane {
                    dst[i] = src[3 * i + 2]
                    dst[plane + i] = src[3 * i + 1]
                    dst[2 * plane + i] = src[3 * i]
                }
            }
        }
        return out
    }

    /// The image from Caffe's layout (channels first, blue, green, red), the reverse of
    /// `caffeBytes()`.
    public init(caffeBytes bytes: [UInt8], channels: Int, height: Int, width: Int) throws {
        guard channels == 1 || channels == 3, width > 0, height > 0, bytes.count == channels * height * width else {
            throw ImageError.invalid(problem: "\(bytes.count) bytes do not make a \(channels)x\(height)x\(width) image of 1 or 3 channels")
        }
        if channels == 1 {
            self.init(unchecked: width, height, 1, bytes)
            return
        }
        let plane = width * height
        var out = [UInt8](repeating: 0, count: plane * 3)
        bytes.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<plane {
                    dst[3 * i] = src[2 * plane + i]
                    dst[3 * i + 1] = src[plane + i]
                    dst[3 * i + 2] = src[i]
                }
            }
        }
        self.init(unchecked: width, height, 3, out)
    }
}
