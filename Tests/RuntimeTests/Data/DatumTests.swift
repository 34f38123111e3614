import Foundation
import Testing
@testable import Runtime

@Suite struct DatumTests {
    @Test func rawBytesRoundTrip() throws {
        let bytes: [UInt8] = (0..<24).map { UInt8($0 * 10) }
        let datum = Caffe_Datum(channels: 2, height: 3, width: 4, bytes: bytes, label: 7)
        let back = try Caffe_Datum(record: try datum.serializedData())
        #expect(back.shape == [2, 3, 4])
        #expect(back.pixelCount == 24)
        #expect(back.label == 7)
        #expect(Array(back.data) == bytes)
        #expect(try back.pixels() == bytes.map(Float.init))
        #expect(!back.encoded)
    }

    @Test func floatDataRoundTrip() throws {
        let values: [Float] = [0.5, -1, 2, 3.25]
        let datum = Caffe_Datum(channels: 1, height: 2, width: 2, floats: values, label: 1)
        let back = try Caffe_Datum(record: try datum.serializedData())
        #expect(back.data.isEmpty)
        #expect(try back.pixels() == values)
    }

    @Test func keysFollowCaffesFormat() {
        #expect(Caffe_Datum.key(index: 12, name: "cat.jpg") == "00000012_cat.jpg")
        #expect(Caffe_Datum.key(index: 0, name: "0") == "00000000_0")
        #expect(Caffe_Datum.key(index: 59_999, name: "59999") == "00059999_59999")
        #expect(Caffe_Datum.key(index: 123_456_789, name: "a") == "123456789_a")
        // Zero padding makes text order the insertion order.
        #expect(Caffe_Datum.key(index: 9, name: "z") < Caffe_Datum.key(index: 10, name: "a"))
    }

    @Test func badRecordsAreTypedErrors() throws {
        #expect(throws: DataError.self) { try Caffe_Datum(record: Data([0xFF, 0xFF, 0xFF])) }

        let short = Caffe_Datum(channels: 1, height: 2, width: 2, bytes: [1, 2, 3], label: 0)
        #expect(throws: DataError.self) { try short.checkPixels() }

        var encoded = Caffe_Datum(channels: 3, height: 2, width: 2, bytes: [0xFF, 0xD8, 0xFF], label: 0)
        encoded.encoded = true
        #expect(throws: DataError.encodedRecord(database: nil, key: nil)) { try encoded.pixels() }
    }
}
