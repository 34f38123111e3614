/// The threads Crema's own parallel loops run on, chosen before the native libraries load.
public enum ThreadPool: String, CaseIterable, Sendable {
    /// libgomp's team, shared with oneDNN and OpenBLAS's OpenMP build (the default).
    case team
    /// Dispatch's threads; OpenBLAS and oneDNN keep their own.
    case dispatch
}

extension ThreadPool {
    /// The pool a setting's text names (CREMA_THREAD_POOL's value); nil or "" is the team.
    public static func named(_ text: String?) throws -> ThreadPool {
        guard let text, !text.isEmpty else { return .team }
        guard let pool = ThreadPool(rawValue: text.lowercased()) else {
            throw BLASError("CREMA_THREAD_POOL=\(text): expected one of \(allCases.map(\.rawValue).joined(separator: ", ")), or leave it unset")
        }
        return pool
    }
}
