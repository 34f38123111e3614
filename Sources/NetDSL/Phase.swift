/// The phase a net is compiled for, as in Caffe's `include { phase: TRAIN }` rules.
public enum Phase: String, Codable, Sendable, CaseIterable {
    case train
    case test
}
