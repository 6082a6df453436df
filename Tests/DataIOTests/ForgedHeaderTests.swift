import XCTest
import _TestSupport
@testable import DataIO

/// Headers that claim more data than the file holds must give an error, never an overflow trap or
/// an allocation of the claimed size.
final class ForgedHeaderTests: XCTestCase {
    func testNpyWithHugeShapeIsRejected() throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"
        header += String(repeating: " ", count: 63 - (10 + header.utf8.count) % 64) + "\n"
        var data = Data([0x93]) + Data("NUMPY".utf8) + Data([1, 0])
        data.append(UInt8(header.utf8.count & 0xFF)); data.append(UInt8(header.utf8.count >> 8))
        data += Data(header.utf8) + Data(count: 16)
        XCTAssertThrowsError(try Npy.decode(data, path: "huge.npy")) { e in
            XCTAssertTrue("\(e)".hasPrefix("huge.npy"), "\(e)")
        }
    }

    func testSafetensorsWithHugeHeaderLengthIsRejected() throws {
        let url = makeTemporaryDirectory().appendingPathComponent("huge.safetensors")
        var length = UInt64(1) << 62
        var data = Data(bytes: &length, count: 8)
        data += Data("{}".utf8)
        try data.write(to: url)
        XCTAssertThrowsError(try Safetensors.read(url)) { e in
            XCTAssertTrue("\(e)".contains(url.path), "\(e)")
        }
    }

    func testSafetensorsWithHugeShapeIsRejected() throws {
        let header = #"{"t": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 16]}}"#
        var length = UInt64(header.utf8.count)
        var data = Data(bytes: &length, count: 8)
        data += Data(header.utf8) + Data(count: 16)
        XCTAssertThrowsError(try Safetensors.decode(data, path: "s.safetensors")) { e in
            XCTAssertTrue("\(e)".hasPrefix("s.safetensors"), "\(e)")
        }
    }
}
