/// Everything wrong with a Caffe net or solver that Crema cannot import, one problem per line,
/// each naming the file and line and saying what to do.
public struct CaffeImportError: Error, CustomStringConvertible, Equatable {
    /// One problem at one place in one file.
    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        public var file: String
        /// 1-based; 0 when the problem is with the file as a whole (it cannot be read).
        public var line: Int
        public var message: String

        public init(file: String, line: Int, message: String) {
            self.file = file
            self.line = line
            self.message = message
        }

        public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
    }

    /// In file order, as found.
    public var problems: [Problem]

    public init(_ problems: [Problem]) { self.problems = problems }

    init(file: String, line: Int, _ message: String) {
        self.init([Problem(file: file, line: line, message: message)])
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
