import Foundation

/// Turns any error into the sentence a user reads: Crema's own errors as they describe
/// themselves, Foundation's file errors as the path and the reason, decoding errors as the
/// field at fault, never `NSCocoaErrorDomain error 256` or a Swift case name.
enum UserMessage {
    static func describe(_ error: Error) -> String {
        switch error {
        case let e as CocoaError:
            return cocoa(e)
        case let e as POSIXError:
            return posix(e.code.rawValue)
        case let e as DecodingError:
            return decoding(e)
        case let e as EncodingError:
            if case let .invalidValue(_, context) = e { return "cannot write the value at \(path(context.codingPath)): \(context.debugDescription)" }
            return "cannot write the value"
        default:
            break
        }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return posix(Int32(truncatingIfNeeded: ns.code)) }
        if let described = (error as? LocalizedError)?.errorDescription { return described }
        return "\(error)"
    }

    /// The C library's words for an errno value.
    private static func posix(_ code: Int32) -> String { String(cString: strerror(code)) }

    private static func cocoa(_ e: CocoaError) -> String {
        let file = e.filePath ?? e.url?.path
        let reason: String
        if let posix = e.underlying as? POSIXError {
            reason = Self.posix(posix.code.rawValue)
        } else if let underlying = e.underlying {
            let ns = underlying as NSError
            reason = ns.domain == NSPOSIXErrorDomain ? posix(Int32(truncatingIfNeeded: ns.code)) : ns.localizedDescription
        } else {
            switch e.code {
            case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file"
            case .fileReadNoPermission, .fileWriteNoPermission: reason = "permission denied"
            case .fileWriteOutOfSpace: reason = "the disk is full"
            case .fileWriteFileExists: reason = "it already exists"
            case .fileReadCorruptFile: reason = "the file is damaged or not in the expected format"
            case .fileReadInapplicableStringEncoding: reason = "the file is not UTF-8 text"
            case .fileWriteVolumeReadOnly: reason = "the volume is read-only"
            default: reason = "the file operation failed"
            }
        }
        return file.map { "\($0): \(reason)" } ?? reason
    }

    private static func decoding(_ e: DecodingError) -> String {
        switch e {
        case let .keyNotFound(key, context):
            return "the field \(path(context.codingPath + [key])) is missing"
        case let .valueNotFound(_, context):
            return "the field \(path(context.codingPath)) has no value"
        case let .typeMismatch(type, context):
            return "the field \(path(context.codingPath)) is not a \(type) (\(context.debugDescription))"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not valid JSON (\(context.debugDescription))"
                                              : "the field \(path(context.codingPath)) is invalid: \(context.debugDescription)"
        @unknown default:
            return "cannot decode it"
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.isEmpty ? "(the top level)" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
