import SwiftProtobuf

/// SwiftProtobuf's binary decoding errors in words, for messages that name the file at fault
/// (its own descriptions are Swift case names such as `malformedProtobuf`).
enum ProtobufDecodingProblem {
    /// A database record that failed to decode: as a Datum when protobuf refused it.
    static func record(_ error: Error) -> String {
        error is BinaryDecodingError ? "not a Caffe Datum: " + describe(error) : "\(error)"
    }

    static func describe(_ error: Error) -> String {
        guard let e = error as? BinaryDecodingError else { return "\(error)" }
        switch e {
        case .truncated:
            return "it ends in the middle of a field (the file was cut short)"
        case .malformedProtobuf:
            return "its bytes are not a protobuf message (a field's tag or length makes no sense)"
        case .trailingGarbage:
            return "bytes follow the end of the message"
        case .invalidUTF8:
            return "a text field holds bytes that are not UTF-8"
        case .missingRequiredFields:
            return "a required field is missing"
        case .messageDepthLimit:
            return "its messages nest deeper than the decoder allows (a damaged or hostile file)"
        case .internalExtensionError:
            return "an extension field cannot be decoded"
        @unknown default:
            return "it cannot be decoded as protobuf (\(e))"
        }
    }
}
