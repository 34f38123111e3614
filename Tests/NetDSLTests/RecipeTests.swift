import Testing
@testable import NetDSL
@testable import Recipes

@Suite struct RecipeTests {
    @Test func catalogueFindsEveryRecipeFile() {
        let names = Set(allRecipes.map { $0.name })
        #expect(names.isSuperset(of: ["lenet", "caffenet"]))
    }

    @Test func leNetMatchesCaffesSettings() throws {
        let recipe = try #require(allRecipes.first { $0.name == "lenet" })
        let plan = recipe.init().solver
        #expect(plan.baseLR == 0.01)
        #expect(plan.momentum == 0.9)
        #expect(plan.weightDecay == 5e-4)
        #expect(plan.policy == .inv(gamma: 1e-4, power: 0.75))
        #expect(plan.iterations == 10_000)
        #expect(plan.testEvery == 500)
        #expect(plan.testIterations == 100)
    }

    @Test func caffeNetMatchesTheReferenceModel() throws {
        let recipe = try #require(allRecipes.first { $0.name == "caffenet" })
        let instance = recipe.init()
        let plan = instance.solver
        #expect(plan.policy == .step(gamma: 0.1, every: 100_000))
        #expect(plan.iterations == 450_000)
        #expect(plan.snapshotEvery == 10_000)
        #expect(plan.testIterations == 1_000 && plan.testEvery == 1_000)
        let net = instance.net.spec
        let conv2 = try #require(net.layers.first { $0.name == "conv2" })
        guard case .convolution(let p) = conv2.kind else { Issue.record("conv2 is not a convolution"); return }
        #expect(p.group == 2 && p.padH == 2 && p.kernelH == 5 && p.numOutput == 256)
        #expect(p.biasFiller == .constant(1))
        #expect(conv2.params == [ParamSpec(lrMult: 1, decayMult: 1), ParamSpec(lrMult: 2, decayMult: 0)])
        let names = net.layers(in: .train).map(\.name)
        #expect(names == ["data", "conv1", "relu1", "pool1", "norm1", "conv2", "relu2", "pool2", "norm2",
                          "conv3", "relu3", "conv4", "relu4", "conv5", "relu5", "pool5", "fc6", "relu6",
                          "drop6", "fc7", "relu7", "drop7", "fc8", "loss"])
    }
}
