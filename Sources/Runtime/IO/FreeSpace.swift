import Foundation

/// Words for a write that failed on a full disk. LMDB reports a short write as EIO, so the free
/// space is looked up rather than inferred from the error code.
enum FreeSpace {
    /// "; the file system holding PATH is full (N KiB free): ..." when it has less than `below`
    /// bytes free, else "".
    static func hint(for path: String, below: Int = 16 << 20) -> String {
        var folder = URL(fileURLWithPath: path)
        while !FileManager.default.fileExists(atPath: folder.path), folder.path != "/" {
            folder.deleteLastPathComponent()
        }
        var stats = statvfs()
        guard statvfs(folder.path, &stats) == 0 else { return "" }
        let free = Int(clamping: UInt64(stats.f_bavail) &* UInt64(stats.f_frsize))
        guard free < below else { return "" }
        return "; the file system holding \(folder.path) is full (\(free / 1024) KiB free): free space there or write elsewhere"
    }
}
