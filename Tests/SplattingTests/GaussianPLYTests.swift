import XCTest
import DataIO
import _TestSupport
@testable import Splatting

final class GaussianPLYTests: XCTestCase {
    func testRoundTripIsLosslessForEveryDegree() throws {
        for degree in 0...3 {
            let cloud = SceneFixtures.scene(count: 9, shDegree: degree, seed: UInt64(degree + 1), edgeCases: false)
            let url = makeTemporaryDirectory().appendingPathComponent("scene.ply")
            try cloud.writePLY(url)
            XCTAssertEqual(try GaussianCloud.readPLY(url), cloud, "degree \(degree)")
        }
    }

    func testWrittenFileHasTheGraphdecoLayout() throws {
        let cloud = SceneFixtures.scene(count: 3, shDegree: 3, edgeCases: false)
        let url = makeTemporaryDirectory().appendingPathComponent("scene.ply")
        try cloud.writePLY(url)
        let data = try Data(contentsOf: url)
        let header = String(decoding: data.prefix(while: { $0 != 0 }).prefix(3000), as: UTF8.self)
        let headerText = String(header[..<header.range(of: "end_header\n")!.upperBound])
        var expected = "ply\nformat binary_little_endian 1.0\nelement vertex 3\n"
        let names = ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"] + (0..<45).map { "f_rest_\($0)" }
            + ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
        for n in names { expected += "property float \(n)\n" }
        expected += "end_header\n"
        XCTAssertEqual(headerText, expected)
        XCTAssertEqual(data.count, expected.utf8.count + 3 * names.count * 4)
        // f_rest is channel-major: f_rest_0 is red of coefficient 1, f_rest_15 is green of coefficient 1.
        let ply = try PLYFile.read(url)
        let v = ply.element("vertex")!
        XCTAssertEqual(v.column("f_rest_0")![0], cloud.shCoefficients[3 * 1 + 0])
        XCTAssertEqual(v.column("f_rest_15")![0], cloud.shCoefficients[3 * 1 + 1])
        XCTAssertEqual(v.column("f_rest_44")![0], cloud.shCoefficients[3 * 15 + 2])
    }

    func testMissingPropertiesAreReported() throws {
        let ply = PLYFile(elements: [.init(name: "vertex", count: 1, propertyNames: ["x", "y", "z"], columns: [[0], [0], [0]])])
        XCTAssertThrowsError(try GaussianCloud.fromPLY(ply, name: "p.ply")) { e in
            XCTAssertEqual("\(e)", "p.ply: not a 3DGS PLY: missing property 'f_dc_0'")
        }
        let noVertex = PLYFile(elements: [])
        XCTAssertThrowsError(try GaussianCloud.fromPLY(noVertex, name: "q.ply")) { e in
            XCTAssertEqual("\(e)", "q.ply: PLY has no 'vertex' element")
        }
    }
}

import Foundation
