import Testing
@testable import Experiments

/// A mistyped recipe or command name says what was probably meant.
@Suite struct RecipeCatalogTests {
    private func message(_ name: String) -> String {
        do {
            _ = try RecipeCatalog.find(name)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func aMistypedRecipeSuggestsTheRecipe() {
        #expect(message("resnet5").contains("no recipe named 'resnet5'. Did you mean 'resnet50'?"), "\(message("resnet5"))")
        #expect(message("CaffeNte").contains("Did you mean 'caffenet'?"))
        #expect(message("lenet").isEmpty)
    }

    @Test func aMistypedCommandSuggestsTheCommand() {
        #expect(message("trian").contains("Did you mean the command 'train' (experiments train --help)?"), "\(message("trian"))")
        #expect(message("clasify").contains("the command 'classify'"))
        #expect(!message("zzzzzz").contains("Did you mean"))
    }
}
