import Foundation
import Testing
@testable import Experiments

extension ExperimentsSuite {
    /// The parser's help, however it is asked for, is printed and exits 0 (the `help` verb's
    /// run throws it, which must not be reported as an error).
    @Suite struct HelpTests {
        @Test(arguments: [["--help"], ["help"], ["help", "train"], ["train", "--help"], ["time", "--help"],
                          ["prepare", "imageset", "--help"], ["help", "prepare", "imageset"]])
        func helpIsPrintedAndExitsZero(_ arguments: [String]) throws {
            let binary = try #require(TestData.executable, "the experiments executable is not beside the tests")
            let (status, output) = try TestData.capture(binary, arguments)
            #expect(status == 0, "experiments \(arguments.joined(separator: " ")): \(output.prefix(400))")
            #expect(output.contains("USAGE: experiments"), "\(output.prefix(400))")
            #expect(!output.contains("Error"), "\(output.prefix(400))")
        }
    }
}
