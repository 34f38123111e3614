import Foundation
import Testing
@testable import Experiments

extension ExperimentsSuite {
    @Suite struct UserMessageTests {
        @Test func foundationFileErrorsBecomeThePathAndTheReason() throws {
            let missing = "/nonexistent-\(UUID().uuidString)/weights.caffemodel"
            do {
                _ = try Data(contentsOf: URL(fileURLWithPath: missing))
                Issue.record("reading a missing file succeeded")
            } catch {
                let message = UserMessage.describe(error)
                #expect(message.hasPrefix(missing), "\(message)")
                #expect(message.lowercased().contains("no such file"), "\(message)")
                #expect(!message.contains("NSCocoaErrorDomain"))
                #expect(!message.contains("Error Domain"))
            }
        }

        @Test func decodingErrorsNameTheField() throws {
            struct Record: Decodable { var status: String; var summary: Inner; struct Inner: Decodable { var iterations: Int } }
            do {
                _ = try JSONDecoder().decode(Record.self, from: Data(#"{"status": "finished", "summary": {"iterations": "many"}}"#.utf8))
                Issue.record("decoded a string as an Int")
            } catch {
                let message = UserMessage.describe(error)
                #expect(message.contains("summary.iterations"), "\(message)")
                #expect(!message.contains("typeMismatch"), "\(message)")
            }
            do {
                _ = try JSONDecoder().decode(Record.self, from: Data(#"{"status": "finished"}"#.utf8))
                Issue.record("decoded a record without its summary")
            } catch {
                #expect(UserMessage.describe(error) == "the field summary is missing")
            }
        }

        @Test func cremaErrorsDescribeThemselves() {
            #expect(UserMessage.describe(CLIError("pass --recipe")) == "pass --recipe")
        }
    }
}
