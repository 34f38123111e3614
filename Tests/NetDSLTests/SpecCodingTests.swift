import Foundation
import Testing
@testable import NetDSL
@testable import Recipes

@Suite struct SpecCodingTests {
    @Test(arguments: ["lenet", "caffenet"])
    func recipesRoundTripThroughJSONExactly(name: String) throws {
        let recipe = try #require(allRecipes.first { $0.name == name })
        let instance = recipe.init()
        let net = instance.net.spec
        let data = try SpecJSON.encoder().encode(net)
        let decoded = try SpecJSON.decoder().decode(NetSpec.self, from: data)
        #expect(decoded == net)
        #expect(try SpecJSON.encoder().encode(decoded) == data)
        let plan = instance.solver
        let planData = try SpecJSON.encoder().encode(plan)
        #expect(try SpecJSON.decoder().decode(SolverPlan.self, from: planData) == plan)
    }

    @Test func jsonUsesCaffeFieldNames() throws {
        let text = String(decoding: try SpecJSON.encoder().encode(LeNet().solver), as: UTF8.self)
        for key in ["\"base_lr\"", "\"lr_policy\"", "\"max_iter\"", "\"test_interval\"", "\"test_iter\"",
                    "\"weight_decay\"", "\"random_seed\"", "\"snapshot\""] {
            #expect(text.contains(key), "missing \(key)")
        }
        let net = String(decoding: try SpecJSON.encoder().encode(LeNet().net.spec), as: UTF8.self)
        #expect(net.contains("\"num_output\" : 20"))
        #expect(net.contains("\"convolution_param\""))
        #expect(!net.contains("fileID"))
    }

    @Test func locationsAreNotPartOfEquality() {
        let a = InnerProduct("ip", outputs: 2).spec
        let b = InnerProduct("ip", outputs: 2).spec
        #expect(a.location.line != b.location.line)
        #expect(a == b)
    }

    @Test func fillersDecodeWithTheirParameters() throws {
        for filler: Filler in [.constant(0.5), .gaussian(mean: 0.1, std: 0.01), .uniform(min: -1, max: 2),
                               .xavier(.average), .msra(.fanOut)] {
            let data = try SpecJSON.encoder().encode(filler)
            #expect(try SpecJSON.decoder().decode(Filler.self, from: data) == filler)
        }
    }
}
