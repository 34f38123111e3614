import SwiftProtobuf

/// Decodes a prototxt with SwiftProtobuf over our caffe.proto, and puts a line number on what
/// it rejects: SwiftProtobuf's errors say what went wrong but not where.
enum ProtobufText {
    /// Unknown fields are skipped here and reported by the importer, which knows their lines.
    static var options: TextFormatDecodingOptions {
        var options = TextFormatDecodingOptions()
        options.ignoreUnknownFields = true
        options.ignoreUnknownExtensionFields = true
        return options
    }

    /// The message, or nil with a problem recorded at each top-level field SwiftProtobuf rejects.
    static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, text: String, session: ImportSession) -> M? {
        do {
            return try M(textFormatString: text, options: options)
        } catch {
            var found = false
            for root in session.roots {
                if let (node, path, cause) = locate(M.self, node: root, open: "", close: "", path: "") {
                    session.problem(line: node.line, "field '\(path)\(node.display)' cannot be read: \(explain(cause))")
                    found = true
                }
            }
            if !found {
                session.problem(line: 1, "the file cannot be read as a Caffe \(M.protoMessageName): \(explain(error))")
            }
            return nil
        }
    }

    /// The innermost field that fails to decode on its own (inside its enclosing messages).
    private static func locate<M: SwiftProtobuf.Message>(_ type: M.Type, node: PrototxtNode, open: String,
                                                        close: String, path: String) -> (PrototxtNode, String, Error)? {
        let cause: Error
        do {
            _ = try M(textFormatString: open + node.text + close, options: options)
            return nil
        } catch {
            cause = error
        }
        guard node.isMessage else { return (node, path, cause) }
        // A message where the schema has a value fails even when empty: the fault is the field.
        do {
            _ = try M(textFormatString: open + node.name + " { }" + close, options: options)
        } catch {
            return (node, path, cause)
        }
        let innerOpen = open + node.name + " { ", innerClose = " }" + close
        for child in node.children {
            if let found = locate(M.self, node: child, open: innerOpen, close: innerClose, path: path + node.name + ".") {
                return found
            }
        }
        return (node, path, cause)
    }

    private static func explain(_ error: Error) -> String {
        guard let error = error as? TextFormatDecodingError else { return "\(error)" }
        switch error {
        case .malformedNumber:
            return "the value is not a number this field takes (a fraction or a negative number for a count, or out of range?)"
        case .unrecognizedEnumValue:
            return "the value is not one of the names this field takes in caffe.proto"
        case .schemaMismatch, .malformedText:
            return "the value does not fit the field's type in caffe.proto (a message where a number or string belongs, or the reverse?)"
        case .invalidUTF8:
            return "the string is not valid UTF-8"
        case .messageDepthLimit:
            return "messages are nested too deeply"
        default:
            return "\(error)"
        }
    }
}
