import CDNNL
import CKernels
import Foundation

/// oneDNN (Debian's libdnnl), opened at run time as OpenBLAS is.
///
/// Opening it rather than linking it lets Crema run (with its im2col convolution) where the
/// library is missing; `OpenMPTeam` chooses OpenMP's settings before it loads.
final class OneDNNLibrary: @unchecked Sendable {
    let engineCreate: crema_dnnl_engine_create_fn
    let streamCreate: crema_dnnl_stream_create_fn
    let streamWait: crema_dnnl_stream_wait_fn
    let streamDestroy: crema_dnnl_stream_destroy_fn
    let memoryDescInitByTag: crema_dnnl_memory_desc_init_by_tag_fn
    let memoryDescEqual: crema_dnnl_memory_desc_equal_fn
    let memoryDescGetSize: crema_dnnl_memory_desc_get_size_fn
    let memoryCreate: crema_dnnl_memory_create_fn
    let memorySetDataHandle: crema_dnnl_memory_set_data_handle_fn
    let memoryDestroy: crema_dnnl_memory_destroy_fn
    let convolutionForwardDescInit: crema_dnnl_dilated_convolution_forward_desc_init_fn
    let convolutionBackwardDataDescInit: crema_dnnl_dilated_convolution_backward_data_desc_init_fn
    let convolutionBackwardWeightsDescInit: crema_dnnl_dilated_convolution_backward_weights_desc_init_fn
    let reorderPrimitiveDescCreate: crema_dnnl_reorder_primitive_desc_create_fn
    let primitiveDescCreate: crema_dnnl_primitive_desc_create_fn
    let primitiveDescQuery: crema_dnnl_primitive_desc_query_fn
    let primitiveDescQueryMD: crema_dnnl_primitive_desc_query_md_fn
    let primitiveDescDestroy: crema_dnnl_primitive_desc_destroy_fn
    let primitiveCreate: crema_dnnl_primitive_create_fn
    let primitiveExecute: crema_dnnl_primitive_execute_fn
    let primitiveDestroy: crema_dnnl_primitive_destroy_fn
    let attrCreate: crema_dnnl_primitive_attr_create_fn
    let attrDestroy: crema_dnnl_primitive_attr_destroy_fn
    let attrSetPostOps: crema_dnnl_primitive_attr_set_post_ops_fn
    let postOpsCreate: crema_dnnl_post_ops_create_fn
    let postOpsAppendSum: crema_dnnl_post_ops_append_sum_fn
    let postOpsAppendEltwise: crema_dnnl_post_ops_append_eltwise_fn
    let postOpsDestroy: crema_dnnl_post_ops_destroy_fn
    let sgemm: crema_dnnl_sgemm_fn
    private let setOMPThreads: crema_omp_set_num_threads_fn

    /// The CPU engine every primitive runs on (thread-safe; streams are per layer).
    private(set) var engine: OpaquePointer?
    /// `2.6.3`, say.
    let version: String
    /// The instruction set oneDNN's kernels use: `avx512_core_amx`, `avx512_core`, ...
    let instructionSet: String
    /// Whether the processor has AMX with bfloat16 (what makes the bf16 mode worth having).
    let hasAMXBF16: Bool

    /// The library, or why it cannot be used; opened on first use.
    static let loaded: Result<OneDNNLibrary, OneDNNError> = {
        do { return .success(try OneDNNLibrary()) } catch let error as OneDNNError {
            return .failure(error)
        } catch {
            return .failure(OneDNNError("\(error)"))
        }
    }()

    static var shared: OneDNNLibrary? { try? loaded.get() }

    private init() throws {
        // libgomp first, with the settings Crema chose; libdnnl then links to it.
        _ = OpenMPTeam.installed
        let names = ["libdnnl.so.2", "libdnnl.so"]
        var handle: UnsafeMutableRawPointer?
        var reasons: [String] = []
        for name in names where handle == nil {
            handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)
            if handle == nil, let e = dlerror() { reasons.append(String(cString: e)) }
        }
        guard let handle else {
            throw OneDNNError("cannot open oneDNN (\(names.joined(separator: ", "))): \(reasons.joined(separator: "; "))."
                              + " Install it with `apt-get install libdnnl-dev` (sh Scripts/bootstrap.sh does)")
        }
        func symbol<T>(_ name: String, in lib: UnsafeMutableRawPointer?, as type: T.Type) throws -> T {
            guard let p = dlsym(lib, name) else {
                throw OneDNNError("the oneDNN library has no \(name); Crema needs oneDNN 2.x (apt-get install libdnnl-dev)")
            }
            return unsafeBitCast(p, to: type)
        }
        engineCreate = try symbol("dnnl_engine_create", in: handle, as: crema_dnnl_engine_create_fn.self)
        streamCreate = try symbol("dnnl_stream_create", in: handle, as: crema_dnnl_stream_create_fn.self)
        streamWait = try symbol("dnnl_stream_wait", in: handle, as: crema_dnnl_stream_wait_fn.self)
        streamDestroy = try symbol("dnnl_stream_destroy", in: handle, as: crema_dnnl_stream_destroy_fn.self)
        memoryDescInitByTag = try symbol("dnnl_memory_desc_init_by_tag", in: handle, as: crema_dnnl_memory_desc_init_by_tag_fn.self)
        memoryDescEqual = try symbol("dnnl_memory_desc_equal", in: handle, as: crema_dnnl_memory_desc_equal_fn.self)
        memoryDescGetSize = try symbol("dnnl_memory_desc_get_size", in: handle, as: crema_dnnl_memory_desc_get_size_fn.self)
        memoryCreate = try symbol("dnnl_memory_create", in: handle, as: crema_dnnl_memory_create_fn.self)
        memorySetDataHandle = try symbol("dnnl_memory_set_data_handle", in: handle, as: crema_dnnl_memory_set_data_handle_fn.self)
        memoryDestroy = try symbol("dnnl_memory_destroy", in: handle, as: crema_dnnl_memory_destroy_fn.self)
        convolutionForwardDescInit = try symbol("dnnl_dilated_convolution_forward_desc_init", in: handle,
                                                as: crema_dnnl_dilated_convolution_forward_desc_init_fn.self)
        convolutionBackwardDataDescInit = try symbol("dnnl_dilated_convolution_backward_data_desc_init", in: handle,
                                                     as: crema_dnnl_dilated_convolution_backward_data_desc_init_fn.self)
        convolutionBackwardWeightsDescInit = try symbol("dnnl_dilated_convolution_backward_weights_desc_init", in: handle,
                                                        as: crema_dnnl_dilated_convolution_backward_weights_desc_init_fn.self)
        reorderPrimitiveDescCreate = try symbol("dnnl_reorder_primitive_desc_create", in: handle,
                                                as: crema_dnnl_reorder_primitive_desc_create_fn.self)
        primitiveDescCreate = try symbol("dnnl_primitive_desc_create", in: handle, as: crema_dnnl_primitive_desc_create_fn.self)
        primitiveDescQuery = try symbol("dnnl_primitive_desc_query", in: handle, as: crema_dnnl_primitive_desc_query_fn.self)
        primitiveDescQueryMD = try symbol("dnnl_primitive_desc_query_md", in: handle, as: crema_dnnl_primitive_desc_query_md_fn.self)
        primitiveDescDestroy = try symbol("dnnl_primitive_desc_destroy", in: handle, as: crema_dnnl_primitive_desc_destroy_fn.self)
        primitiveCreate = try symbol("dnnl_primitive_create", in: handle, as: crema_dnnl_primitive_create_fn.self)
        primitiveExecute = try symbol("dnnl_primitive_execute", in: handle, as: crema_dnnl_primitive_execute_fn.self)
        primitiveDestroy = try symbol("dnnl_primitive_destroy", in: handle, as: crema_dnnl_primitive_destroy_fn.self)
        attrCreate = try symbol("dnnl_primitive_attr_create", in: handle, as: crema_dnnl_primitive_attr_create_fn.self)
        attrDestroy = try symbol("dnnl_primitive_attr_destroy", in: handle, as: crema_dnnl_primitive_attr_destroy_fn.self)
        attrSetPostOps = try symbol("dnnl_primitive_attr_set_post_ops", in: handle, as: crema_dnnl_primitive_attr_set_post_ops_fn.self)
        postOpsCreate = try symbol("dnnl_post_ops_create", in: handle, as: crema_dnnl_post_ops_create_fn.self)
        postOpsAppendSum = try symbol("dnnl_post_ops_append_sum", in: handle, as: crema_dnnl_post_ops_append_sum_fn.self)
        postOpsAppendEltwise = try symbol("dnnl_post_ops_append_eltwise", in: handle,
                                          as: crema_dnnl_post_ops_append_eltwise_fn.self)
        postOpsDestroy = try symbol("dnnl_post_ops_destroy", in: handle, as: crema_dnnl_post_ops_destroy_fn.self)
        sgemm = try symbol("dnnl_sgemm", in: handle, as: crema_dnnl_sgemm_fn.self)
        let versionOf = try symbol("dnnl_version", in: handle, as: crema_dnnl_version_fn.self)
        let isaOf = try symbol("dnnl_get_effective_cpu_isa", in: handle, as: crema_dnnl_get_effective_cpu_isa_fn.self)
        // libdnnl's own OpenMP runtime (Debian builds it with libgomp), found through its handle.
        setOMPThreads = try symbol("omp_set_num_threads", in: handle, as: crema_omp_set_num_threads_fn.self)

        if let v = versionOf()?.pointee {
            version = "\(v.major).\(v.minor).\(v.patch)"
            guard v.major == 2 else {
                throw OneDNNError("oneDNN \(version) is not supported; Crema uses the oneDNN 2.x C API (Debian's libdnnl-dev 2.6)")
            }
        } else {
            version = "unknown"
        }
        let isa = isaOf()
        instructionSet = Self.name(of: isa)
        hasAMXBF16 = isa.rawValue & dnnl_cpu_isa_avx512_core_amx.rawValue == dnnl_cpu_isa_avx512_core_amx.rawValue
        var e: OpaquePointer?
        try check(engineCreate(&e, dnnl_cpu, 0), "creating the CPU engine")
        engine = e
    }

    /// oneDNN runs its parallel regions with the calling thread's OpenMP thread count; Crema
    /// uses as many as `Parallel.threads` (set per calling thread, as OpenMP keeps it).
    @inline(__always)
    func useCremaThreads() {
        let threads = max(1, Parallel.threads)
        setOMPThreads(Int32(threads))
        crema_team_prepare(UInt32(threads))
    }

    /// Throws a `OneDNNError` naming `what` unless `status` is success.
    func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
        guard status != dnnl_success else { return }
        throw OneDNNError("\(what()) failed: \(Self.name(of: status))")
    }

    static func name(of status: dnnl_status_t) -> String {
        switch status {
        case dnnl_success: "success"
        case dnnl_out_of_memory: "out of memory"
        case dnnl_invalid_arguments: "invalid arguments"
        case dnnl_unimplemented: "oneDNN has no kernel for these shapes (CREMA_CONV_ENGINE=im2col runs them)"
        case dnnl_runtime_error: "runtime error"
        case dnnl_not_required: "not required"
        default: "status \(status.rawValue)"
        }
    }

    static func name(of isa: dnnl_cpu_isa_t) -> String {
        switch isa {
        case dnnl_cpu_isa_avx512_core_amx: "avx512_core_amx"
        case dnnl_cpu_isa_avx512_core_bf16: "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_vnni: "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core: "avx512_core"
        case dnnl_cpu_isa_avx2_vnni: "avx2_vnni"
        case dnnl_cpu_isa_avx2: "avx2"
        case dnnl_cpu_isa_avx: "avx"
        case dnnl_cpu_isa_sse41: "sse41"
        default: "isa \(String(isa.rawValue, radix: 16))"
        }
    }
}

/// oneDNN could not be loaded or could not run a primitive.
public struct OneDNNError: Error, CustomStringConvertible {
    public var description: String
    init(_ message: String) { description = message }
}
