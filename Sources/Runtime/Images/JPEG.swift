import CImageSupport
import Foundation

/// JPEG through libjpeg (libjpeg-turbo on Debian).
public enum JPEG {
    /// Decodes baseline or progressive JPEG to 8-bit grey (grey files) or RGB (YCbCr, RGB, CMYK
    /// and YCCK files), as OpenCV's imread (so Caffe's convert_imageset) gives it: turned as an
    /// Exif orientation tag says (all eight), and CMYK converted with OpenCV's arithmetic,
    /// red = k - (255 - c) k / 256 truncated, reading the samples as Adobe's inverted CMYK, as
    /// Photoshop writes them and as OpenCV and Pillow read every CMYK JPEG. A file that ends
    /// early is `.truncated` (libjpeg alone would pad it with grey); libjpeg's recoverable
    /// warnings (e.g. stray bytes before a marker, common in ImageNet) are not errors.
    ///
    /// With `grey`, one channel as OpenCV's `IMREAD_GRAYSCALE` reads it: libjpeg's own luma
    /// for colour files (not a conversion of the RGB), and OpenCV's arithmetic for CMYK.
    public static func decode(_ data: Data, source: String, grey: Bool = false) throws -> Image {
        var out = cis_decoded()
        let code = data.withUnsafeBytes { raw -> Int32 in
            cis_jpeg_decode_as(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, grey ? 1 : 0, &out)
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
