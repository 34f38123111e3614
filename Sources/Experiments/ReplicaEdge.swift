import ArgumentParser
import Foundation
import MPIReplicas
import Runtime

/// A command run by `mpirun`: the replica group, started once at the command's edge from the
/// launcher's variables, and the rules every such command follows.
enum ReplicaEdge {
    /// Runs `body` alone when no launcher started this process (or it started one), else as one
    /// rank of the job: MPI ends with the command, and a rank that fails ends the whole job
    /// (MPI_Abort) after saying why, since the others would wait for it for ever.
    static func run(_ body: (MPIReplicaGroup?) throws -> Void) throws {
        guard let launch = MPILaunch.reading(environment: ProcessInfo.processInfo.environment), launch.size > 1 else {
            try body(nil)
            return
        }
        let group: MPIReplicaGroup
        do {
            group = try MPIReplicaGroup(library: launch.library)
        } catch {
            throw CLIError("rank \(launch.rank) of \(launch.size): \(UserMessage.describe(error))")
        }
        do {
            try body(group)
        } catch {
            // An ExitCode was reported where it was thrown.
            if !(error is ExitCode) {
                let who = group.rank == 0 ? "" : "rank \(group.rank): "
                StandardError.write("Error: \(who)\(UserMessage.describe(error))\n")
            }
            group.abort(code: 1)
        }
        try group.finish()
    }

    /// Whether an `mpirun` launcher started this process with others, before MPI is opened.
    static var launched: Bool {
        (MPILaunch.reading(environment: ProcessInfo.processInfo.environment)?.size ?? 1) > 1
    }

    /// The cores a rank may use by default: the machine's, shared among the ranks on it.
    static func threads(_ group: MPIReplicaGroup?) -> Int {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard let group else { return cores }
        let here = group.hosts.isEmpty ? group.size : group.hosts.filter { $0 == group.hosts[group.rank] }.count
        return max(1, cores / max(here, 1))
    }
}
