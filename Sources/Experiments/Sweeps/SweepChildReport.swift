import Foundation

/// What a run that a sweep started tells the sweep: one JSON object per line on its standard
/// output (`train --sweep-child`), read by `SweepRunner` for its progress display.
struct SweepChildReport: Codable, Equatable {
    /// The run's folder, sent once it exists.
    var folder: String?
    var iteration: Int?
    var total: Int?
    var loss: Float?
    /// A test output and its value, as each test pass reports it.
    var test: String?
    var value: Double?

    /// Writes the report to standard output with `write(2)`: when the sweep has gone, the write
    /// fails quietly (SIGPIPE is ignored in a sweep's child) instead of ending the run before its
    /// snapshot.
    func send() {
        guard var data = try? JSONEncoder().encode(self) else { return }
        data.append(0x0A)
        data.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(STDOUT_FILENO, base + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// Splits what arrived so far into complete lines' reports, keeping a partial line in `buffer`.
    static func take(from buffer: inout Data) -> [SweepChildReport] {
        var reports: [SweepChildReport] = []
        while let newline = buffer.firstIndex(of: 0x0A) {
            let line = buffer[buffer.startIndex..<newline]
            buffer = Data(buffer[buffer.index(after: newline)...])
            if let report = try? JSONDecoder().decode(SweepChildReport.self, from: line) { reports.append(report) }
        }
        return reports
    }
}
