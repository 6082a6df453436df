import XCTest
import _TestSupport
@testable import DataIO

final class PLYTests: XCTestCase {
    func testBinaryRoundTripIsBitExact() throws {
        let cols: [[Float]] = [[1.5, -0.0, .greatestFiniteMagnitude], [Float.leastNonzeroMagnitude, 3, -7.25]]
        let ply = PLYFile(elements: [.init(name: "vertex", count: 3, propertyNames: ["a", "b"], columns: cols)], comments: ["hello"])
        let dir = makeTemporaryDirectory()
        let url = dir.appendingPathComponent("x.ply")
        try ply.write(url)
        let back = try PLYFile.read(url)
        XCTAssertEqual(back.elements.count, 1)
        XCTAssertEqual(back.comments, ["hello"])
        XCTAssertEqual(back.elements[0].columns.map { $0.map(\.bitPattern) }, cols.map { $0.map(\.bitPattern) })
    }

    func testReadsASCIIAndOtherScalarTypes() throws {
        let text = "ply\nformat ascii 1.0\nelement vertex 2\nproperty uchar r\nproperty double x\nend_header\n255 1.5\n0 -2\n"
        let ply = try PLYFile.parse(Data(text.utf8), name: "t.ply")
        XCTAssertEqual(ply.element("vertex")?.column("r"), [255, 0])
        XCTAssertEqual(ply.element("vertex")?.column("x"), [1.5, -2])
    }

    func testErrorsNameTheFileAndProblem() throws {
        XCTAssertThrowsError(try PLYFile.read(URL(fileURLWithPath: "/nonexistent/a.ply"))) { e in
            XCTAssertEqual("\(e)", "/nonexistent/a.ply: cannot read the file (missing or no permission)")
        }
        XCTAssertThrowsError(try PLYFile.parse(Data("hello".utf8), name: "b.ply")) { e in
            XCTAssertTrue("\(e)".hasPrefix("b.ply: not a PLY file"))
        }
        let truncated = Data("ply\nformat binary_little_endian 1.0\nelement vertex 10\nproperty float x\nend_header\n".utf8) + Data(count: 12)
        XCTAssertThrowsError(try PLYFile.parse(truncated, name: "c.ply")) { e in
            XCTAssertEqual("\(e)", "c.ply: truncated PLY data: element 'vertex' needs 40 bytes, 12 left")
        }
        let noEnd = Data("ply\nformat ascii 1.0\nelement vertex 1\n".utf8)
        XCTAssertThrowsError(try PLYFile.parse(noEnd, name: "d.ply")) { e in XCTAssertTrue("\(e)".contains("end_header")) }
        let list = Data("ply\nformat ascii 1.0\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n".utf8)
        XCTAssertThrowsError(try PLYFile.parse(list, name: "e.ply")) { e in XCTAssertTrue("\(e)".contains("list property")) }
        for e in [PLYFile.Error.badValue("f", "x")] { XCTAssertFalse("\(e)".contains("\n")) }
        // Forged huge counts: an error, not an overflow trap or a giant allocation.
        let hugeBinary = Data("ply\nformat binary_little_endian 1.0\nelement vertex 4611686018427387904\nproperty float x\nproperty float y\nend_header\n".utf8)
        XCTAssertThrowsError(try PLYFile.parse(hugeBinary, name: "h.ply")) { e in XCTAssertTrue("\(e)".contains("more than the file can hold"), "\(e)") }
        let hugeASCII = Data("ply\nformat ascii 1.0\nelement vertex 900000000000000\nproperty float x\nend_header\n1\n".utf8)
        XCTAssertThrowsError(try PLYFile.parse(hugeASCII, name: "i.ply")) { e in XCTAssertTrue("\(e)".contains("more than the file can hold"), "\(e)") }
        // A final value without a trailing newline is still fine.
        let tight = try PLYFile.parse(Data("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n7".utf8), name: "j.ply")
        XCTAssertEqual(tight.element("vertex")?.column("x"), [7])
    }
}

final class PNGTests: XCTestCase {
    func testRoundTripRGBGrayAndRGBA() throws {
        let dir = makeTemporaryDirectory()
        for channels in [1, 3, 4] {
            let pixels = (0..<(7 * 5 * channels)).map { UInt8(($0 * 37) % 256) }
            let image = Image8(width: 7, height: 5, channels: channels, pixels: pixels)
            let url = dir.appendingPathComponent("i\(channels).png")
            try PNGFile.write(image, to: url)
            XCTAssertEqual(try PNGFile.read(url), image)
        }
        // Channel conversion on read: gray → RGB replicates.
        let rgb = try PNGFile.read(dir.appendingPathComponent("i1.png"), channels: 3)
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertEqual(Array(rgb.pixels[0..<3]), [0, 0, 0])
        XCTAssertEqual(Array(rgb.pixels[3..<6]), [37, 37, 37])
    }

    func testBadFilesGiveOneLineErrors() throws {
        let dir = makeTemporaryDirectory()
        let fake = dir.appendingPathComponent("fake.png")
        try Data("not a png at all".utf8).write(to: fake)
        XCTAssertThrowsError(try PNGFile.read(fake)) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(fake.path): cannot read PNG"))
            XCTAssertFalse("\(e)".contains("\n"))
        }
        XCTAssertThrowsError(try PNGFile.read(dir.appendingPathComponent("missing.png"))) { e in
            XCTAssertTrue("\(e)".contains("no such file"))
        }
        XCTAssertThrowsError(try PNGFile.write(Image8(width: 1, height: 1, channels: 1, pixels: [0]),
                                               to: dir.appendingPathComponent("nofolder/x.png"))) { e in
            XCTAssertTrue("\(e)".contains("does not exist"), "\(e)")
        }
    }

    func testFloatConversionClampsAndRounds() {
        let img = Image8(floats: [-1, 0.5, 2, .nan], width: 4, height: 1, channels: 1)
        XCTAssertEqual(img.pixels, [0, 128, 255, 0])
    }
}

final class CameraTransformsTests: XCTestCase {
    func write(_ text: String) throws -> URL {
        let url = makeTemporaryDirectory().appendingPathComponent("transforms_train.json")
        try Data(text.utf8).write(to: url)
        return url
    }

    func testReadWriteRoundTrip() throws {
        let t = CameraTransforms(focalLength: 1200, cx: 256, cy: 256, frames: [
            .init(imageID: 0, audioID: 0, transform: [[1, 0, 0, 0.1], [0, 1, 0, 0.2], [0, 0, 1, 0.5], [0, 0, 0, 1]]),
            .init(imageID: 7, transform: [[0, -1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0.4], [0, 0, 0, 1]]),
        ], imageFolder: "images")
        let url = makeTemporaryDirectory().appendingPathComponent("t.json")
        try t.write(url)
        XCTAssertEqual(try CameraTransforms.read(url), t)
        XCTAssertEqual(t.width, 512)
        let cam = t.camera(0)
        // OpenGL camera at z = 0.5 looking down −Z sees the origin in front of it.
        XCTAssertGreaterThan(cam.project([0, 0, 0]).depth, 0)
    }

    func testBadFilesNameFileAndProblem() throws {
        let missingFocal = try write(#"{"cx": 2, "cy": 2, "frames": []}"#)
        XCTAssertThrowsError(try CameraTransforms.read(missingFocal)) { e in
            XCTAssertEqual("\(e)", "\(missingFocal.path): missing field 'focal_len'")
        }
        let nonRigid = try write(#"{"focal_len": 10, "cx": 2, "cy": 2, "frames": [{"img_id": 0, "transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}, {"img_id": 1, "transform_matrix": [[2,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}]}"#)
        XCTAssertThrowsError(try CameraTransforms.read(nonRigid)) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(nonRigid.path): frame 1: transform_matrix is not a rigid"))
        }
        let notJSON = try write("{oops")
        XCTAssertThrowsError(try CameraTransforms.read(notJSON)) { e in XCTAssertTrue("\(e)".contains("not valid JSON")) }
        let badShape = try write(#"{"focal_len": 10, "cx": 2, "cy": 2, "frames": [{"img_id": 0, "transform_matrix": [[1,0,0],[0,1,0],[0,0,1]]}]}"#)
        XCTAssertThrowsError(try CameraTransforms.read(badShape)) { e in XCTAssertTrue("\(e)".contains("not 4×4")) }
        XCTAssertThrowsError(try CameraTransforms.read(URL(fileURLWithPath: "/nonexistent/t.json"))) { e in
            XCTAssertTrue("\(e)".contains("cannot read"))
        }
    }
}

import Foundation
