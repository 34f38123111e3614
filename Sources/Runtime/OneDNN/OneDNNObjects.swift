import CDNNL
import Foundation

/// Owners of oneDNN's handles: each destroys its handle when it goes.

/// A memory descriptor: dimensions, element type and layout (plain or one of oneDNN's blocked
/// layouts).
struct DNNLDesc {
    var raw: dnnl_memory_desc_t

    init(_ raw: dnnl_memory_desc_t) { self.raw = raw }

    /// `tag` may be `dnnl_format_tag_any`: the primitive that takes it chooses the layout.
    init(_ lib: OneDNNLibrary, dims: [Int], type: dnnl_data_type_t, tag: dnnl_format_tag_t) throws {
        var d = dnnl_memory_desc_t()
        var dims64 = dims.map { Int64($0) }
        while dims64.count < 12 { dims64.append(0) }
        try lib.check(dims64.withUnsafeBufferPointer {
            lib.memoryDescInitByTag(&d, Int32(dims.count), $0.baseAddress, type, tag)
        }, "describing a \(shapeText(dims)) tensor")
        raw = d
    }

    func equals(_ other: DNNLDesc, _ lib: OneDNNLibrary) -> Bool {
        withUnsafePointer(to: raw) { a in withUnsafePointer(to: other.raw) { b in lib.memoryDescEqual(a, b) != 0 } }
    }

    func byteCount(_ lib: OneDNNLibrary) -> Int { withUnsafePointer(to: raw) { lib.memoryDescGetSize($0) } }

    var dataType: dnnl_data_type_t { raw.data_type }
}

/// A memory object: a descriptor and the storage it reads and writes. The storage is Crema's
/// (a Tensor's, a Buffer's, the shared scratch), rebound before each use since tensors move
/// when they grow.
final class DNNLMemory {
    let handle: OpaquePointer
    let desc: DNNLDesc
    private let lib: OneDNNLibrary

    /// Created without storage: `bind` gives it some before each use.
    init(_ lib: OneDNNLibrary, _ desc: DNNLDesc) throws {
        self.lib = lib
        self.desc = desc
        var m: OpaquePointer?
        try lib.check(withUnsafePointer(to: desc.raw) { lib.memoryCreate(&m, $0, lib.engine, nil) },
                      "creating a memory object")
        guard let m else { throw OneDNNError("creating a memory object returned nothing") }
        handle = m
    }

    var byteCount: Int { desc.byteCount(lib) }

    func bind(_ pointer: UnsafeMutableRawPointer) throws {
        try lib.check(lib.memorySetDataHandle(handle, pointer), "binding memory")
    }

    deinit { _ = lib.memoryDestroy(handle) }
}

/// A primitive and its descriptor (kept for queries and as the hint for backward passes).
final class DNNLPrimitive {
    let handle: OpaquePointer
    let descriptor: OpaquePointer
    private let lib: OneDNNLibrary

    /// Takes ownership of `descriptor`.
    init(_ lib: OneDNNLibrary, descriptor: OpaquePointer, what: String) throws {
        self.lib = lib
        self.descriptor = descriptor
        var p: OpaquePointer?
        let status = lib.primitiveCreate(&p, descriptor)
        guard status == dnnl_success, let p else {
            _ = lib.primitiveDescDestroy(descriptor)
            throw OneDNNError("creating the \(what) primitive failed: \(OneDNNLibrary.name(of: status))")
        }
        handle = p
    }

    /// Creates the primitive for an operation descriptor (convolution_desc_t and the like).
    convenience init<Op>(_ lib: OneDNNLibrary, operation: inout Op, attributes: OpaquePointer? = nil,
                         hint: DNNLPrimitive? = nil, what: String) throws {
        var pd: OpaquePointer?
        let status = withUnsafePointer(to: &operation) {
            lib.primitiveDescCreate(&pd, UnsafeRawPointer($0), attributes, lib.engine, hint?.descriptor)
        }
        guard status == dnnl_success, let pd else {
            throw OneDNNError("oneDNN has no \(what) for these shapes: \(OneDNNLibrary.name(of: status))")
        }
        try self.init(lib, descriptor: pd, what: what)
    }

    /// A copy between layouts or element types; `accumulate` adds into the destination.
    static func reorder(_ lib: OneDNNLibrary, from: DNNLDesc, to: DNNLDesc, accumulate: Bool = false) throws -> DNNLPrimitive {
        var attr: OpaquePointer?
        if accumulate {
            var ops: OpaquePointer?
            try lib.check(lib.postOpsCreate(&ops), "creating post-ops")
            defer { _ = lib.postOpsDestroy(ops) }
            try lib.check(lib.postOpsAppendSum(ops, 1), "adding a sum post-op")
            try lib.check(lib.attrCreate(&attr), "creating attributes")
            try lib.check(lib.attrSetPostOps(attr, ops), "setting post-ops")
        }
        defer { if let attr { _ = lib.attrDestroy(attr) } }
        var pd: OpaquePointer?
        let status = withUnsafePointer(to: from.raw) { a in
            withUnsafePointer(to: to.raw) { b in
                lib.reorderPrimitiveDescCreate(&pd, a, lib.engine, b, lib.engine, attr)
            }
        }
        guard status == dnnl_success, let pd else {
            throw OneDNNError("oneDNN cannot reorder between these layouts: \(OneDNNLibrary.name(of: status))")
        }
        return try DNNLPrimitive(lib, descriptor: pd, what: "reorder")
    }

    /// The layout the primitive chose for one of its arguments (`dnnl_query_src_md` and so on).
    func desc(_ what: dnnl_query_t) throws -> DNNLDesc {
        guard let md = lib.primitiveDescQueryMD(descriptor, what, 0) else {
            throw OneDNNError("the primitive has no memory for query \(what.rawValue)")
        }
        return DNNLDesc(md.pointee)
    }

    /// oneDNN's name for the kernel it picked, such as `jit:avx512_core` or `brg:avx512_core_amx`.
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard lib.primitiveDescQuery(descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success,
              let name else { return "unknown" }
        return String(cString: name)
    }

    func execute(_ stream: DNNLStream, _ args: [(Int32, DNNLMemory)]) throws {
        let list = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        try lib.check(list.withUnsafeBufferPointer {
            lib.primitiveExecute(handle, stream.handle, Int32($0.count), $0.baseAddress)
        }, "running \(implementation)")
    }

    deinit {
        _ = lib.primitiveDestroy(handle)
        _ = lib.primitiveDescDestroy(descriptor)
    }
}

/// An execution stream; CPU primitives run synchronously on the calling thread's OpenMP team.
final class DNNLStream {
    let handle: OpaquePointer
    private let lib: OneDNNLibrary

    init(_ lib: OneDNNLibrary) throws {
        self.lib = lib
        var s: OpaquePointer?
        try lib.check(lib.streamCreate(&s, lib.engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        guard let s else { throw OneDNNError("creating a stream returned nothing") }
        handle = s
    }

    func wait() throws { try lib.check(lib.streamWait(handle), "waiting for the stream") }

    deinit { _ = lib.streamDestroy(handle) }
}

/// One growing block, shared by every oneDNN layer, for the layout copies that live only
/// during one forward or backward call; so the extra memory is that of the largest layer,
/// not of all of them. Calls that use it run one at a time.
final class OneDNNScratch: @unchecked Sendable {
    static let shared = OneDNNScratch()
    private let lock = NSLock()
    private var buffer = Buffer(capacity: 16)

    /// Bytes held now (for memory reports).
    var byteCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return buffer.capacity * MemoryLayout<Float>.stride
    }

    /// Calls `body` with one 64-byte aligned region of each size in `sizes` (bytes).
    func with<T>(_ sizes: [Int], _ body: ([UnsafeMutableRawPointer]) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        var offsets: [Int] = []
        var total = 0
        for s in sizes {
            offsets.append(total)
            total += (s + 63) / 64 * 64
        }
        let floats = total / MemoryLayout<Float>.stride + 1
        if buffer.capacity < floats { buffer = Buffer(capacity: floats) }
        let base = UnsafeMutableRawPointer(buffer.pointer)
        return try body(offsets.map { base + $0 })
    }
}
