import Testing
@testable import MPIReplicas

@Suite struct MPILaunchTests {
    @Test func openMPIsVariablesDescribeTheLaunch() {
        let launch = MPILaunch.reading(environment: ["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "3"])
        #expect(launch == MPILaunch(size: 4, rank: 3, library: nil))
        let named = MPILaunch.reading(environment: ["PMI_SIZE": "2", "PMI_RANK": "1", "CREMA_MPI_LIBRARY": "/opt/mpi/lib/libmpi.so"])
        #expect(named == MPILaunch(size: 2, rank: 1, library: "/opt/mpi/lib/libmpi.so"))
    }

    @Test func noLauncherNoLaunch() {
        #expect(MPILaunch.reading(environment: ["PATH": "/usr/bin"]) == nil)
        #expect(MPILaunch.reading(environment: ["OMPI_COMM_WORLD_SIZE": "many"]) == nil)
    }

    @Test func aLibraryThatIsNotOpenMPIIsRefusedByName() {
        #expect {
            _ = try MPILibrary(name: "libz.so.1")
        } throws: { error in
            "\(error)".contains("libz.so.1 has no MPI_Init_thread")
        }
        #expect {
            _ = try MPILibrary(name: "/nonexistent/libmpi.so.40")
        } throws: { error in
            "\(error)".contains("apt-get install openmpi-bin")
        }
    }
}
