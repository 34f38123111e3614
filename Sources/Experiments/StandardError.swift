import Foundation

/// Standard error, written so that a full disk or a closed pipe behind it loses the text rather
/// than stopping the command (FileHandle's `write(_:)` traps on a failed write).
enum StandardError {
    static func write(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }
}
