import CImageSupport
import Foundation

/// JPEG through libjpeg (libjpeg-turbo on Debian).
public enum JPEG {
    /// Decodes baseline or progressive JPEG to 8-bit grey (grey files) or RGB (YCbCr, RGB, CMYK
    /// and YCCK files; CMYK is converted as red = (1 - cyan)(1 - black), rounded, reading the
    /// samples as Adobe's inverted CMYK, as Photoshop writes them and as OpenCV (so Caffe) and
    /// Pillow read every CMYK JPEG, with an Adobe marker or without). A file that ends
    /// early is `.truncated` (libjpeg alone would pad it with grey); libjpeg's recoverable
    /// warnings (e.g. stray bytes before a marker, common in ImageNet) are not errors.
    public static func decode(_ data: Data, source: String) throws -> Image {
        var out = cis_decoded()
        let code = data.withUnsafeBytes { raw -> Int32 in
            cis_jpeg_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, &out)
        }
        return try ImageSupport.image(code: code, &out, source: source, format: "JPEG")
    }

    /// Baseline JPEG at `quality` (1-100; 95 is OpenCV's `imencode` default, which Caffe uses),
    /// 4:2:0 chroma for colour.
    public static func encode(_ image: Image, quality: Int = 95) throws -> Data {
        var out = cis_encoded()
        let code = image.pixels.withUnsafeBufferPointer { pixels in
            cis_jpeg_encode(pixels.baseAddress, Int32(clamping: image.width), Int32(clamping: image.height),
                            Int32(image.channels), Int32(clamping: quality), &out)
        }
        return try ImageSupport.data(code: code, &out, format: "JPEG")
    }
}
