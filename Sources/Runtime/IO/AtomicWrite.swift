import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that could not be written; names the file and the system's reason.
public struct FileWriteError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "cannot write \(path): \(message)" }
}

/// Replaces `url`'s contents all at once: writes a temporary file in the same directory,
/// flushes it to disk and renames it over the target, so that a crash or a full disk leaves
/// either the old file or the complete new one, never a partial snapshot.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let target = url.path
    let directory = url.deletingLastPathComponent().path
    let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: .min ... .max))"

    func failure(_ what: String) -> FileWriteError {
        let reason = String(cString: strerror(errno))
        return FileWriteError(path: target, "\(what): \(reason)")
    }

    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
        let error = failure("cannot create a temporary file in \(directory)")
        throw error
    }
    var closed = false
    var renamed = false
    defer {
        if !closed { close(fd) }
        if !renamed { unlink(temporary) }
    }

    try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
        guard var next = raw.baseAddress else { return }
        var left = raw.count
        while left > 0 {
            let written = write(fd, next, left)
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("writing failed after \(raw.count - left) of \(raw.count) bytes")
            }
            left -= written
            next += written
        }
    }
    guard fsync(fd) == 0 else { throw failure("flushing to disk failed") }
    closed = true
    guard close(fd) == 0 else { throw failure("closing failed") }
    guard rename(temporary, target) == 0 else { throw failure("renaming the temporary file over it failed") }
    renamed = true

    // Make the rename itself durable; a directory that cannot be opened or synced only weakens
    // crash safety, so it is not an error.
    let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dirFD >= 0 {
        _ = fsync(dirFD)
        close(dirFD)
    }
}
