import Testing
@testable import Runtime

@Suite struct DatumOverflowTests {
    /// A damaged record whose shape multiplies past Int.max must throw, not trap.
    @Test func hugeShapeThrows() {
        let datum = Caffe_Datum(channels: Int(Int32.max), height: Int(Int32.max), width: Int(Int32.max),
                                bytes: [1, 2, 3], label: 0)
        #expect(throws: DataError.self) { try datum.checkPixels() }
    }
}
