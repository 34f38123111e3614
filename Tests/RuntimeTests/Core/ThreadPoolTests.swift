import Testing
@testable import Runtime

@Suite struct ThreadPoolTests {
    @Test func unsetOrEmptyIsTheTeam() throws {
        #expect(try ThreadPool.named(nil) == .team)
        #expect(try ThreadPool.named("") == .team)
    }

    @Test func namesAreReadWhateverTheirCase() throws {
        #expect(try ThreadPool.named("dispatch") == .dispatch)
        #expect(try ThreadPool.named("Team") == .team)
    }

    @Test func anUnknownPoolIsRefusedWithTheChoices() {
        do {
            _ = try ThreadPool.named("openmp")
            Issue.record("openmp was accepted")
        } catch {
            #expect("\(error)".contains("CREMA_THREAD_POOL=openmp: expected one of team, dispatch"), "\(error)")
        }
    }

    /// The pool cannot change under libraries that already started their threads.
    @Test func thePoolIsFixedOnceOpenBLASIsOpen() throws {
        try BLAS.load()
        let other: ThreadPool = BLASLibrary.requestedPool == .team ? .dispatch : .team
        #expect(throws: BLASError.self) {
            try BLAS.use(library: BLASLibrary.requestedLibrary, threadPool: other)
        }
        try BLAS.use(library: BLASLibrary.requestedLibrary, threadPool: BLASLibrary.requestedPool)
    }
}
