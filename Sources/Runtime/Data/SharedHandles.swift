import Foundation

/// Database handles shared by every reader of the same folder in this process, counted, and
/// closed (dropped) when the last reader lets go. LMDB and LevelDB both forbid opening one
/// database twice in a process, and the TRAIN and TEST nets may read the same one.
final class SharedHandles<Handle: SharedHandle>: @unchecked Sendable {
    private let lock = NSLock()
    private var open: [String: (handle: Handle, users: Int)] = [:]

    /// The key of the database in folder `path`: the folder, symbolic links resolved, and the
    /// inode of its file `marker`, so a database replaced on disk (`--force`) is opened afresh
    /// rather than served stale.
    static func key(folder path: String, marker: String) -> String {
        let resolved = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        var info = stat()
        let inode = stat(resolved + "/" + marker, &info) == 0 ? UInt64(info.st_ino) : 0
        return "\(resolved)#\(inode)"
    }

    /// The handle for `key`, made by `make` on first use.
    func acquire(_ key: String, _ make: () throws -> Handle) throws -> Handle {
        lock.lock()
        defer { lock.unlock() }
        if let entry = open[key] {
            open[key] = (entry.handle, entry.users + 1)
            return entry.handle
        }
        let handle = try make()
        open[key] = (handle, 1)
        return handle
    }

    /// Lets go of `handle`; the last release closes it, under the lock, so a new open of the
    /// same folder never overlaps the close (a reader's cursors keep the reader, so none is
    /// left when it lets go).
    func release(_ handle: Handle) {
        lock.lock()
        defer { lock.unlock() }
        guard let (key, entry) = open.first(where: { $0.value.handle === handle }) else { return }
        if entry.users > 1 {
            open[key] = (handle, entry.users - 1)
        } else {
            open[key] = nil
            handle.close()
        }
    }

    /// Runs `body` under the same lock (for state kept on a shared handle).
    func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// A handle the cache closes when its last user lets go; closing twice does nothing.
protocol SharedHandle: AnyObject {
    func close()
}
