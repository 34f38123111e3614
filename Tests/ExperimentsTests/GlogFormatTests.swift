import Foundation
import Testing
@testable import Experiments

extension ExperimentsSuite {
    @Suite struct GlogFormatTests {
        /// Caffe's tools/extra/extract_seconds.py and parse_log.py read this exact prefix shape.
        @Test func prefixMatchesGlog() throws {
            let line = GlogFormat.lines("Iteration 100, lr = 0.01", source: "sgd_solver.cpp:138")
            let regex = try Regex(#"^I\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +\d+ sgd_solver\.cpp:138\] Iteration 100, lr = 0\.01\n$"#)
            #expect(line.wholeMatch(of: regex) != nil, "\(line)")
        }
    }
}
