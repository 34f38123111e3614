import CImageSupport
import Foundation

/// PNG through libpng.
public enum PNG {
    /// Decodes any PNG (palette, grey of 1-16 bits, grey+alpha, RGB, RGBA, 16-bit, interlaced)
    /// to 8-bit grey (grey sources) or RGB. 16-bit samples keep their high byte; alpha and
    /// `tRNS` transparency are dropped without compositing (OpenCV's `IMREAD_COLOR`, so Caffe,
    /// does the same); gamma chunks are ignored.
    ///
    /// With `grey`, colour becomes one channel as OpenCV's `IMREAD_GRAYSCALE` has libpng make
    /// it (`png_set_rgb_to_gray` with 0.299 and 0.587: 15-bit weights, truncated).
    public static func decode(_ data: Data, source: String, grey: Bool = false) throws -> Image {
        var out = cis_decoded()
        let code = data.withUnsafeBytes { raw -> Int32 in
            cis_png_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &out)
        }
        let image = try ImageSupport.image(code: code, &out, source: source, format: "PNG")
        guard grey, image.channels == 3 else { return image }
        let n = image.width * image.height
        var pixels = [UInt8](repeating: 0, count: n)
        image.pixels.withUnsafeBufferPointer { src in
            for i in 0..<n {
                let r = UInt32(src[3 * i]), g = UInt32(src[3 * i + 1]), b = UInt32(src[3 * i + 2])
                pixels[i] = UInt8((r * 9797 + g * 19234 + b * 3737) >> 15)
            }
        }
        return try Image(width: image.width, height: image.height, channels: 1, pixels: pixels)
    }

    /// An 8-bit grey or RGB PNG, not interlaced; `level` is zlib's compression level (0-9,
    /// -1 for zlib's default).
    public static func encode(_ image: Image, level: Int = -1) throws -> Data {
        var out = cis_encoded()
        let code = image.pixels.withUnsafeBufferPointer { pixels in
            cis_png_encode(pixels.baseAddress, Int32(clamping: image.width), Int32(clamping: image.height),
                           Int32(image.channels), Int32(clamping: level), &out)
        }
        return try ImageSupport.data(code: code, &out, format: "PNG")
    }
}
