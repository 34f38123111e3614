/// How a program learns, at its edge, that `mpirun` started it: from the variables the
/// launcher sets, before any MPI library is opened.
public struct MPILaunch: Equatable, Sendable {
    /// Processes the launcher started, and this one's rank, as the launcher says.
    public var size: Int
    public var rank: Int
    /// The MPI library to open (CREMA_MPI_LIBRARY), nil for Open MPI's.
    public var library: String?

    /// The launch the environment describes: Open MPI's OMPI_COMM_WORLD_SIZE and _RANK, or the
    /// PMI variables other launchers set; nil when no launcher started the process.
    public static func reading(environment: [String: String]) -> MPILaunch? {
        let pairs = [("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"), ("PMIX_SIZE", "PMIX_RANK"), ("PMI_SIZE", "PMI_RANK")]
        for (sizeKey, rankKey) in pairs {
            if let size = environment[sizeKey].flatMap({ Int($0) }), size > 0 {
                let rank = environment[rankKey].flatMap { Int($0) } ?? 0
                let library = environment["CREMA_MPI_LIBRARY"].flatMap { $0.isEmpty ? nil : $0 }
                return MPILaunch(size: size, rank: rank, library: library)
            }
        }
        return nil
    }
}
