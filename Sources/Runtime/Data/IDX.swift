import CZlib
import Foundation

/// An IDX file (the MNIST family's format): a magic number giving the element type and the
/// number of dimensions, the dimensions as big-endian 32-bit integers, then the elements.
/// Files may be gzipped (as distributed) or plain; zlib reads both.
public struct IDXFile: Sendable {
    /// Element types by their magic byte.
    public enum ElementType: UInt8, Sendable {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        public var size: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .float64: 8
            }
        }
    }

    public var type: ElementType
    /// All dimensions as the header gives them; `dims[0]` counts the items.
    public var dims: [Int]
    /// The elements read (big-endian as stored), `itemCount` items of `itemSize` elements.
    public var bytes: Data
    /// Items read: `dims[0]`, or fewer when reading was limited.
    public var itemCount: Int

    /// Elements per item: the product of the dimensions after the first.
    public var itemSize: Int { dims.dropFirst().reduce(1, *) }

    /// The bytes of item `i` (for `uint8` files, its pixels or its label).
    public func item(_ i: Int) -> Data {
        let n = itemSize * type.size
        let start = bytes.startIndex + i * n
        return bytes[start..<(start + n)]
    }

    /// Reads `url`, at most `maxItems` items when given (the rest of the file is not read).
    public static func read(_ url: URL, maxItems: Int? = nil) throws -> IDXFile {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError.idx(file: path, problem: "the file does not exist")
        }
        guard let file = gzopen(path, "rb") else {
            throw DataError.idx(file: path, problem: "cannot open it: \(String(cString: strerror(errno)))")
        }
        defer { gzclose(file) }
        gzbuffer(file, 1 << 17)

        let magic = try readExactly(file, 4, path, "the 4-byte magic number")
        guard magic[0] == 0, magic[1] == 0 else {
            throw DataError.idx(file: path, problem: "not an IDX file (the magic number starts \(hex(magic[0])) \(hex(magic[1])), not 00 00)")
        }
        guard let type = ElementType(rawValue: magic[2]) else {
            throw DataError.idx(file: path, problem: "unknown element type \(hex(magic[2])) in the magic number")
        }
        let rank = Int(magic[3])
        guard rank >= 1 else { throw DataError.idx(file: path, problem: "the magic number gives no dimensions") }
        let header = try readExactly(file, 4 * rank, path, "\(rank) dimensions")
        var dims: [Int] = []
        for d in 0..<rank {
            let b = header[(4 * d)..<(4 * d + 4)].map(Int.init)
            dims.append(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3])
        }
        let (itemSize, problem) = Tensor.elementCount(Array(dims.dropFirst()))
        let items = min(dims[0], max(maxItems ?? dims[0], 0))
        let (values, o1) = items.multipliedReportingOverflow(by: itemSize)
        let (total, o2) = values.multipliedReportingOverflow(by: type.size)
        guard problem == nil, !o1, !o2, total < Int(Int32.max) * 4 else {
            throw DataError.idx(file: path, problem: "dimensions \(dims) are too large")
        }
        let body = try readExactly(file, total, path, "\(items) items of \(itemSize) elements (dimensions \(dims))")
        return IDXFile(type: type, dims: dims, bytes: Data(body), itemCount: items)
    }

    /// Writes a gzipped IDX file (for tests and small tools).
    public static func write(type: ElementType = .uint8, dims: [Int], bytes: [UInt8], to url: URL) throws {
        let path = url.path
        guard dims.count < 256, bytes.count == dims.reduce(1, *) * type.size else {
            throw DataError.idx(file: path, problem: "\(bytes.count) bytes do not fill dimensions \(dims)")
        }
        var out: [UInt8] = [0, 0, type.rawValue, UInt8(dims.count)]
        for d in dims { out += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        out += bytes
        guard let file = gzopen(path, "wb") else {
            throw DataError.idx(file: path, problem: "cannot create it: \(String(cString: strerror(errno)))")
        }
        let written = out.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        let closed = gzclose(file)
        guard written == Int32(out.count), closed == Z_OK else {
            throw DataError.idx(file: path, problem: "writing it failed")
        }
    }

    private static func readExactly(_ file: gzFile, _ count: Int, _ path: String, _ what: String) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let chunk = min(count - done, 1 << 30)
            let n = buffer.withUnsafeMutableBytes { raw -> Int32 in
                guard let base = raw.baseAddress else { return 0 }
                return gzread(file, base + done, UInt32(chunk))
            }
            if n < 0 {
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown error"
                throw DataError.idx(file: path, problem: "cannot read \(what): \(message)")
            }
            if n == 0 {
                throw DataError.idx(file: path, problem: "the file ends after \(done) of the \(count) bytes of \(what); it is cut short")
            }
            done += Int(n)
        }
        return buffer
    }

    private static func hex(_ b: UInt8) -> String {
        let s = String(b, radix: 16)
        return s.count == 1 ? "0" + s : s
    }
}
