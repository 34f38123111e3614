import Foundation
import NetDSL

/// The records TensorBoard's HParams dashboard reads from a run's events file: the run's
/// settings when it starts (`_hparams_/session_start_info`) and its status when it ends
/// (`_hparams_/session_end_info`). The dashboard gathers the sessions of every run under
/// `--logdir` into its table and parallel coordinates, with the runs' scalars as metrics.
///
///     message HParamsPluginData { int32 version = 1; oneof data {
///         SessionStartInfo session_start_info = 3; SessionEndInfo session_end_info = 4; } }
///     message SessionStartInfo { map<string, google.protobuf.Value> hparams = 1;
///         string group_name = 4; double start_time_secs = 5; }
///     message SessionEndInfo { Status status = 1; double end_time_secs = 2; }
///
/// Each rides in a Summary.Value with the plugin's metadata and an empty float tensor, as
/// TensorBoard's own `hparams.summary` writes them.
enum HParamsSummary {
    enum Value: Equatable {
        case number(Double), text(String), flag(Bool)

        /// A `--set` value typed by its setting's kind: numbers stay numbers, so the dashboard
        /// can order and scale them.
        static func typed(key: String, value: String) -> Value {
            switch Overrides.kind(of: key) {
            case .integer?, .number?: Double(value).map(Value.number) ?? .text(value)
            case .flag?: ["true", "1", "yes", "on"].contains(value.lowercased()) ? .flag(true)
                : ["false", "0", "no", "off"].contains(value.lowercased()) ? .flag(false) : .text(value)
            case .text?, .choice?, .list?: .text(value)
            case nil: Double(value).map(Value.number) ?? .text(value)
            }
        }
    }

    /// TensorBoard's `Status`; a run stopped before its end (to be resumed, or halted) is unknown.
    enum Status: UInt64 { case unknown = 0, success = 1, failure = 2, running = 3 }

    static let startTag = "_hparams_/session_start_info"
    static let endTag = "_hparams_/session_end_info"

    static func sessionStart(_ hparams: [(key: String, value: Value)], group: String, startTime: Double) -> EventProto.Value {
        var info = ProtoWriter()
        for (key, value) in hparams {
            var entry = ProtoWriter()
            entry.bytes(field: 1, Array(key.utf8))
            var v = ProtoWriter()
            switch value {
            case .number(let x): v.fixed64(field: 2, x.bitPattern)
            case .text(let t): v.bytes(field: 3, Array(t.utf8))
            case .flag(let b): v.varint(field: 4, b ? 1 : 0)
            }
            entry.bytes(field: 2, v.bytes)
            info.bytes(field: 1, entry.bytes)
        }
        if !group.isEmpty { info.bytes(field: 4, Array(group.utf8)) }
        info.fixed64(field: 5, startTime.bitPattern)
        return record(startTag, field: 3, info.bytes)
    }

    static func sessionEnd(_ status: Status, endTime: Double) -> EventProto.Value {
        var info = ProtoWriter()
        if status != .unknown { info.varint(field: 1, status.rawValue) }
        info.fixed64(field: 2, endTime.bitPattern)
        return record(endTag, field: 4, info.bytes)
    }

    private static func record(_ tag: String, field: Int, _ message: [UInt8]) -> EventProto.Value {
        var data = ProtoWriter()
        data.bytes(field: field, message)
        var plugin = ProtoWriter()
        plugin.bytes(field: 1, Array("hparams".utf8))
        plugin.bytes(field: 2, data.bytes)
        var metadata = ProtoWriter()
        metadata.bytes(field: 1, plugin.bytes)
        // TensorProto { dtype: DT_FLOAT, tensor_shape { dim { size: 0 } } }
        let emptyFloats: [UInt8] = [0x08, 0x01, 0x12, 0x02, 0x12, 0x00]
        return EventProto.Value(tag: tag, simpleValue: nil, metadata: metadata.bytes, tensor: emptyFloats)
    }
}
