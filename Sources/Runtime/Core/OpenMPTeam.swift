import CKernels
import Foundation

/// libgomp's thread team, shared by Crema's parallel loops and oneDNN's.
///
/// oneDNN runs on libgomp (Debian builds it so). When Crema's loops ran on Dispatch's threads
/// instead, the two pools took turns on the same two cores: each pool's idle threads either
/// slept, so every hand-over woke a thread (a third of the convolution time at batch 1), or
/// spun on the core the other pool needed. One team removes the hand-over.
///
/// libgomp reads OMP_WAIT_POLICY and GOMP_SPINCOUNT once, when it loads, so it is opened here,
/// at run time, after the policy is chosen; oneDNN, opened later, finds it already loaded.
enum OpenMPTeam {
    /// The OMP_WAIT_POLICY Crema set before loading libgomp; nil when it left libgomp's default
    /// or the user or machine had set one (OMP_WAIT_POLICY or GOMP_SPINCOUNT).
    static var chosenWaitPolicy: String? { loaded.policy }

    /// Whether Crema's loops run on libgomp's team; false when libgomp cannot be opened or
    /// `BLAS.use(library:threadPool: .dispatch)` asked for Dispatch's threads.
    static var installed: Bool { loaded.installed }

    /// Why the loops run on Dispatch's threads, when they do.
    static var fallbackReason: String? { loaded.reason }

    /// One line for run records: which threads the kernels run on.
    static var summary: String {
        let policy = chosenWaitPolicy.map { ", OMP_WAIT_POLICY=\($0) set by Crema" } ?? ""
        guard installed else { return "Dispatch threads (\(fallbackReason ?? "no libgomp"))\(policy)" }
        let blas = BLAS.runsOnTeam ? "OpenBLAS's OpenMP build" : "not OpenBLAS (its own threads: \(BLAS.libraryPath))"
        return "libgomp's team: Crema's loops, oneDNN and \(blas)\(policy)"
    }

    private static let loaded: (installed: Bool, policy: String?, reason: String?) = {
        let dispatchAsked = BLASLibrary.requestedPool == .dispatch
        let policy = chooseWaitPolicy(otherPools: dispatchAsked || BLASLibrary.requestedLibrary != nil
                                      || BLASLibrary.openMPBuild == nil)
        if dispatchAsked {
            return (false, policy, "CREMA_THREAD_POOL=dispatch")
        }
        guard let handle = dlopen("libgomp.so.1", RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "libgomp.so.1 not found"
            return (false, policy, "cannot open libgomp (\(reason)); apt-get install libgomp1")
        }
        guard crema_team_install(handle) != 0 else {
            return (false, policy, "libgomp has no GOMP_parallel")
        }
        return (true, policy, nil)
    }()

    /// libgomp's threads spin for a while (GOMP_SPINCOUNT, 300,000 rounds by default) before
    /// they sleep. With every kernel on the one team the spinning thread is the one that runs
    /// the next loop, so the default stays. With `otherPools` (OpenBLAS's pthread build, or
    /// Dispatch's threads for Crema's loops) a spinning thread holds the core another
    /// pool needs: CaffeNet at batch 32 trained 15-30% slower than with PASSIVE, which is then
    /// chosen. A value the user set (OMP_WAIT_POLICY or GOMP_SPINCOUNT) is left alone.
    private static func chooseWaitPolicy(otherPools: Bool) -> String? {
        let env = ProcessInfo.processInfo.environment
        if let set = env["OMP_WAIT_POLICY"], !set.isEmpty { return nil }
        if let set = env["GOMP_SPINCOUNT"], !set.isEmpty { return nil }
        guard otherPools else { return nil }
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
        return "PASSIVE"
    }

    /// Calls `body(c)` for each c in 0..<chunks on a team of `threads`. The team keeps one size
    /// (extra threads find no chunk): libgomp ends the workers a smaller team leaves out, and
    /// the next full-size region (oneDNN's, OpenBLAS's) would start new ones.
    @inline(__always)
    static func run(_ chunks: Int, threads: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            var closure = escapable
            withUnsafeMutablePointer(to: &closure) { pointer in
                crema_team_run(chunks, UInt32(max(1, threads)), { context, chunk in
                    context?.assumingMemoryBound(to: ((Int) -> Void).self).pointee(chunk)
                }, pointer)
            }
        }
    }
}
