import Foundation
import Runtime

/// Open MPI's C library, opened at run time, so that Crema builds and trains on one machine
/// without MPI installed and loads it only when `mpirun` started the process.
///
/// Open MPI's handles (`MPI_COMM_WORLD`, `MPI_FLOAT`, `MPI_SUM`) are the addresses of global
/// objects, found here by name; MPICH and its kin use integer handles, a different ABI, which
/// is refused with a message rather than misread.
struct MPILibrary: @unchecked Sendable {
    typealias Handle = UnsafeMutableRawPointer
    typealias InitThread = @convention(c) (UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?,
                                           Int32, UnsafeMutablePointer<Int32>) -> Int32
    typealias CommQuery = @convention(c) (Handle, UnsafeMutablePointer<Int32>) -> Int32
    typealias Allreduce = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, Handle, Handle, Handle) -> Int32
    typealias Bcast = @convention(c) (UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    typealias Gather = @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, Int32, Handle, Int32, Handle) -> Int32
    typealias Gatherv = @convention(c) (UnsafeRawPointer?, Int32, Handle, UnsafeMutableRawPointer?, UnsafePointer<Int32>?,
                                        UnsafePointer<Int32>?, Handle, Int32, Handle) -> Int32
    typealias ProcessorName = @convention(c) (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32
    typealias Finalize = @convention(c) () -> Int32
    typealias Abort = @convention(c) (Handle, Int32) -> Int32
    typealias ErrorString = @convention(c) (Int32, UnsafeMutablePointer<CChar>, UnsafeMutablePointer<Int32>) -> Int32

    let initThread: InitThread
    let commRank: CommQuery
    let commSize: CommQuery
    let allreduce: Allreduce
    let bcast: Bcast
    let gather: Gather
    let gatherv: Gatherv
    let processorName: ProcessorName
    let finalize: Finalize
    let abort: Abort
    let errorString: ErrorString
    let world: Handle
    let float: Handle
    let double: Handle
    let int32: Handle
    let byte: Handle
    let sum: Handle
    /// The file opened.
    let path: String

    /// Open MPI's `MPI_IN_PLACE`.
    static let inPlace = UnsafeMutableRawPointer(bitPattern: 1)
    /// Open MPI's thread levels.
    static let threadFunneled: Int32 = 1
    static let threadMultiple: Int32 = 3
    /// Open MPI's `MPI_MAX_PROCESSOR_NAME`.
    static let maxProcessorName = 256

    /// Opens `name` (a path or a file name for dlopen; by default Open MPI's libmpi.so.40).
    init(name: String?) throws {
        let names = name.map { [$0] } ?? ["libmpi.so.40", "libmpi.so"]
        var opened: (handle: UnsafeMutableRawPointer, name: String)?
        var problems: [String] = []
        for candidate in names where opened == nil {
            // RTLD_GLOBAL: Open MPI's components, opened by libmpi itself, look up its symbols.
            if let handle = dlopen(candidate, RTLD_NOW | RTLD_GLOBAL) {
                opened = (handle, candidate)
            } else {
                problems.append(dlerror().map { String(cString: $0) } ?? candidate)
            }
        }
        guard let (handle, path) = opened else {
            throw ReplicaError("this process was started by mpirun, but Open MPI's library does not open (\(problems.joined(separator: "; "))); install it (apt-get install openmpi-bin libopenmpi-dev) or name it with CREMA_MPI_LIBRARY")
        }
        func symbol(_ name: String) throws -> UnsafeMutableRawPointer {
            guard let p = dlsym(handle, name) else {
                if name.hasPrefix("ompi_") {
                    throw ReplicaError("\(path) is not Open MPI (it has no \(name)); Crema speaks Open MPI's interface: start it with Open MPI's mpirun (apt-get install openmpi-bin libopenmpi-dev)")
                }
                throw ReplicaError("\(path) has no \(name); is it an MPI library?")
            }
            return p
        }
        func function<F>(_ name: String, as type: F.Type) throws -> F {
            unsafeBitCast(try symbol(name), to: type)
        }
        initThread = try function("MPI_Init_thread", as: InitThread.self)
        commRank = try function("MPI_Comm_rank", as: CommQuery.self)
        commSize = try function("MPI_Comm_size", as: CommQuery.self)
        allreduce = try function("MPI_Allreduce", as: Allreduce.self)
        bcast = try function("MPI_Bcast", as: Bcast.self)
        gather = try function("MPI_Gather", as: Gather.self)
        gatherv = try function("MPI_Gatherv", as: Gatherv.self)
        processorName = try function("MPI_Get_processor_name", as: ProcessorName.self)
        finalize = try function("MPI_Finalize", as: Finalize.self)
        abort = try function("MPI_Abort", as: Abort.self)
        errorString = try function("MPI_Error_string", as: ErrorString.self)
        world = try symbol("ompi_mpi_comm_world")
        float = try symbol("ompi_mpi_float")
        double = try symbol("ompi_mpi_double")
        int32 = try symbol("ompi_mpi_int")
        byte = try symbol("ompi_mpi_byte")
        sum = try symbol("ompi_mpi_op_sum")
        self.path = path
    }

    /// Throws an error naming the call when an MPI function did not return MPI_SUCCESS.
    func check(_ code: Int32, _ call: String) throws {
        guard code != 0 else { return }
        var buffer = [CChar](repeating: 0, count: 512)
        var length: Int32 = 0
        let text = errorString(code, &buffer, &length) == 0 ? String(cString: buffer) : "error \(code)"
        throw ReplicaError("\(call) failed: \(text)")
    }
}
