import Foundation

/// glog's line prefix (`I1126 15:04:05.123456  4242 solver.cpp:218] `), which Caffe's
/// parse_log.py and extract_seconds.py expect.
enum GlogFormat {
    static let pid = ProcessInfo.processInfo.processIdentifier

    static func prefix(date: Date = Date(), source: String, level: Character = "I") -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&seconds, &parts)
        let micros = Int((date.timeIntervalSince1970 - Double(seconds)) * 1_000_000)
        return String(format: "%@%02d%02d %02d:%02d:%02d.%06d %5d %@] ", String(level),
                      parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                      micros, pid, source)
    }

    /// Each line of a multi-line message gets the prefix, as glog writes it.
    static func lines(_ message: String, source: String, level: Character = "I", date: Date = Date()) -> String {
        let p = prefix(date: date, source: source, level: level)
        return message.split(separator: "\n", omittingEmptySubsequences: false)
            .map { p + $0 }.joined(separator: "\n") + "\n"
    }
}
