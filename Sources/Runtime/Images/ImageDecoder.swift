import Foundation
import CImageSupport

/// An image that cannot be read, decoded or encoded. `file` names the file (or, for bytes held
/// in memory, where they came from) so the message says where to look.
public enum ImageError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The file is missing, a folder, or cannot be read.
    case unreadable(file: String, reason: String)
    /// The data ends before the image does (a cut-off download or copy).
    case truncated(file: String, detail: String)
    /// The data breaks the format's rules.
    case corrupt(file: String, detail: String)
    /// Not a JPEG or PNG, or a kind of JPEG/PNG the decoder does not handle.
    case unsupported(file: String, detail: String)
    /// Pixels and sizes that do not make an image (e.g. a resize to 0 pixels).
    case invalid(problem: String)
    /// The encoder refused the image.
    case encoding(format: String, problem: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read it: \(reason)"
        case let .truncated(file, detail): return "\(file): truncated image (\(detail))"
        case let .corrupt(file, detail): return "\(file): corrupt image (\(detail))"
        case let .unsupported(file, detail): return "\(file): unsupported image (\(detail))"
        case let .invalid(problem): return "invalid image: \(problem)"
        case let .encoding(format, problem): return "cannot encode the image as \(format): \(problem)"
        }
    }

    public var errorDescription: String? { description }

    /// One word for summaries: unreadable, truncated, corrupt, unsupported, invalid, encoding.
    public var kind: String {
        switch self {
        case .unreadable: return "unreadable"
        case .truncated: return "truncated"
        case .corrupt: return "corrupt"
        case .unsupported: return "unsupported"
        case .invalid: return "invalid"
        case .encoding: return "encoding"
        }
    }
}

/// The encoded formats Crema reads and writes.
public enum ImageFormat: String, CaseIterable, Sendable {
    case jpeg
    case png

    /// The format named by the first bytes (JPEG's SOI marker FF D8 FF, PNG's 8-byte signature),
    /// whatever the file is called; nil for anything else.
    public init?(sniffing data: Data) {
        let prefix = [UInt8](data.prefix(8))
        if prefix.count >= 3, prefix[0] == 0xFF, prefix[1] == 0xD8, prefix[2] == 0xFF {
            self = .jpeg
        } else if prefix == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] {
            self = .png
        } else {
            return nil
        }
    }

    /// `jpg`/`jpeg`/`png` (any case), as `--encode-type` and file extensions name them.
    public init?(name: String) {
        switch name.lowercased() {
        case "jpg", "jpeg": self = .jpeg
        case "png": self = .png
        default: return nil
        }
    }
}

/// Decodes JPEG and PNG bytes, telling the format by its magic bytes.
public enum ImageDecoder {
    /// The file's bytes; a missing file, a folder or an unreadable file is `.unreadable`.
    public static func read(file path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImageError.unreadable(file: path, reason: "the file does not exist")
        }
        guard !isDirectory.boolValue else {
            throw ImageError.unreadable(file: path, reason: "it is a folder, not an image")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ImageError.unreadable(file: path, reason: error.localizedDescription)
        }
    }

    /// Decodes a file: 8-bit grey for grey sources (with or without alpha), otherwise 8-bit RGB.
    public static func decode(file path: String) throws -> Image {
        try decode(try read(file: path), source: path)
    }

    /// Decodes JPEG or PNG bytes; `source` names them in errors. Grey sources give 1 channel,
    /// everything else 3 (RGB); alpha is dropped without compositing, as OpenCV's
    /// `IMREAD_COLOR` (and so Caffe) does. With `grey`, every image gives 1 channel as
    /// OpenCV's `IMREAD_GRAYSCALE` reads it (what Caffe's convert_imageset -gray stores).
    public static func decode(_ data: Data, source: String, grey: Bool = false) throws -> Image {
        if data.isEmpty { throw ImageError.truncated(file: source, detail: "the file is empty") }
        guard let format = ImageFormat(sniffing: data) else {
            let head = data.prefix(4).map { String(format: "%02X", $0) }.joined(separator: " ")
            throw ImageError.unsupported(file: source, detail: "not a JPEG or PNG file (it starts with \(head))")
        }
        switch format {
        case .jpeg: return try JPEG.decode(data, source: source, grey: grey)
        case .png: return try PNG.decode(data, source: source, grey: grey)
        }
    }
}

extension Caffe_Datum {
    /// The record with raw pixels: itself when it holds raw pixels; for an encoded record
    /// (JPEG/PNG bytes, as `convert_imageset --encoded` writes), the image decoded at its own
    /// channel count (grey stays grey), channels first in blue, green, red order, with the label
    /// kept. A record that does not decode is `DataError.badRecord`.
    public func decoded() throws -> Caffe_Datum {
        guard encoded else { return self }
        let image: Image
        do {
            image = try ImageDecoder.decode(data, source: "the encoded image")
        } catch let error as ImageError {
            throw DataError.badRecord(database: nil, key: nil, problem: "\(error)")
        }
        return Caffe_Datum(channels: image.channels, height: image.height, width: image.width,
                           bytes: image.caffeBytes(), label: Int(label))
    }
}

/// Turns the C support's results into images and errors.
enum ImageSupport {
    /// Takes ownership of `out.pixels` (freed here whatever happens).
    static func image(code: Int32, _ out: inout cis_decoded, source: String, format: String) throws -> Image {
        defer {
            cis_free(out.pixels)
            out.pixels = nil
        }
        guard code == Int32(CIS_OK) else {
            let detail = message(&out.message, fallback: "\(format) decoder failed (code \(code))")
            switch code {
            case Int32(CIS_TRUNCATED): throw ImageError.truncated(file: source, detail: detail)
            case Int32(CIS_UNSUPPORTED): throw ImageError.unsupported(file: source, detail: detail)
            case Int32(CIS_TOO_LARGE): throw ImageError.unsupported(file: source, detail: "too large: \(detail)")
            case Int32(CIS_NO_MEMORY): throw ImageError.unreadable(file: source, reason: "out of memory: \(detail)")
            default: throw ImageError.corrupt(file: source, detail: detail)
            }
        }
        let (w, h, c) = (Int(out.width), Int(out.height), Int(out.channels))
        guard let pixels = out.pixels, w > 0, h > 0, c == 1 || c == 3 else {
            throw ImageError.corrupt(file: source, detail: "the \(format) decoder returned no pixels")
        }
        return Image(unchecked: w, h, c, Array(UnsafeBufferPointer(start: pixels, count: w * h * c)))
    }

    /// Takes ownership of `out.bytes`.
    static func data(code: Int32, _ out: inout cis_encoded, format: String) throws -> Data {
        defer {
            cis_free(out.bytes)
            out.bytes = nil
        }
        guard code == Int32(CIS_OK), let bytes = out.bytes else {
            throw ImageError.encoding(format: format, problem: message(&out.message, fallback: "code \(code)"))
        }
        return Data(bytes: bytes, count: out.size)
    }

    /// The C string in a fixed-size message field.
    static func message<T>(_ field: inout T, fallback: String) -> String {
        let text = withUnsafeBytes(of: &field) { raw -> String in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[0..<end], as: UTF8.self)
        }
        return text.isEmpty ? fallback : text
    }
}
