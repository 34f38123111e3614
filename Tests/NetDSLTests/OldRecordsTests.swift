import Foundation
import Testing
@testable import NetDSL

/// recipe.json files written before this version keep reading: kinds without settings had no
/// settings key, Pooling, LRN and InnerProduct had no rounding, region or transpose, and
/// Convolution had no dilation.
@Suite struct OldRecordsTests {
    @Test func layersWrittenByTheEarlierFormatDecode() throws {
        let json = """
        {"name": "old", "layers": [
          {"name": "s", "type": "Sigmoid", "bottom": ["x"]},
          {"name": "p", "type": "Pooling", "pooling_param": {"method": "MAX", "kernel_h": 3, "kernel_w": 3,
            "stride_h": 2, "stride_w": 2, "pad_h": 0, "pad_w": 0, "global_pooling": false}},
          {"name": "n", "type": "LRN", "lrn_param": {"local_size": 5, "alpha": 0.0001, "beta": 0.75, "k": 1}},
          {"name": "ip", "type": "InnerProduct", "inner_product_param": {"num_output": 10, "bias_term": true, "axis": 1,
            "weight_filler": {"type": "xavier", "variance_norm": "FAN_IN"}, "bias_filler": {"type": "constant", "value": 0}}},
          {"name": "c", "type": "Convolution", "convolution_param": {"num_output": 4, "kernel_h": 3, "kernel_w": 3,
            "stride_h": 1, "stride_w": 1, "pad_h": 1, "pad_w": 1, "group": 1, "bias_term": true,
            "weight_filler": {"type": "constant", "value": 0}, "bias_filler": {"type": "constant", "value": 0}}},
          {"name": "loss", "type": "SoftmaxWithLoss", "loss_param": {"axis": 1, "normalization": "VALID"}}
        ]}
        """
        let net = try SpecJSON.decoder().decode(NetSpec.self, from: Foundation.Data(json.utf8))
        #expect(net.layers.map(\.kind.typeName) == ["Sigmoid", "Pooling", "LRN", "InnerProduct", "Convolution",
                                                   "SoftmaxWithLoss"])
        guard case .pooling(let pool) = net.layers[1].kind, case .lrn(let lrn) = net.layers[2].kind,
              case .innerProduct(let ip) = net.layers[3].kind, case .convolution(let conv) = net.layers[4].kind else {
            Issue.record("kinds did not decode")
            return
        }
        #expect(pool.rounding == .ceil && pool.strideH == 2)
        #expect(lrn.normRegion == .acrossChannels)
        #expect(!ip.transpose && ip.weightFiller == .xavier)
        #expect((conv.dilationH, conv.dilationW, conv.padH) == (1, 1, 1))
    }
}
