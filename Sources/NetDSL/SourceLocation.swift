/// Where in a recipe a layer was written, so errors can name the file and line.
///
/// Locations ride along with specs but never take part in equality or in JSON: two recipes that
/// describe the same net are equal wherever they were written.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var fileID: String
    public var line: Int

    public init(fileID: String, line: Int) {
        self.fileID = fileID
        self.line = line
    }

    /// A location for specs that did not come from Swift source (JSON, prototxt).
    public static let unknown = SourceLocation(fileID: "", line: 0)

    public var description: String { fileID.isEmpty ? "<no source>" : "\(fileID):\(line)" }

    public static func == (lhs: SourceLocation, rhs: SourceLocation) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}
