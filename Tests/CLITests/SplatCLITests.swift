import _TestSupport
import Foundation
import XCTest

/// `audioplane splat …` run as a user would: the built binary on files it writes itself.
final class SplatCLITests: XCTestCase {
    var folder: URL!
    override func setUp() { folder = makeTemporaryDirectory("audioplane-cli-splat") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func testSampleRenderFitRoundTrip() throws {
        let scene = folder.appendingPathComponent("scene").path
        let sample = try runAudioplane(["splat", "sample", "--out", scene, "--count", "600", "--views", "6", "--size", "48"])
        XCTAssertEqual(sample.status, 0, sample.stderr)
        for f in ["scene.ply", "transforms_train.json", "transforms_val.json", "images/0.png", "images/5.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: scene + "/" + f), f)
        }
        let views = folder.appendingPathComponent("views").path
        let render = try runAudioplane(["splat", "render", scene + "/scene.ply", "--transforms", scene + "/transforms_val.json",
                                        "--out", views, "--npy", "--background", "0,0,0"])
        XCTAssertEqual(render.status, 0, render.stderr)
        // Rendering the sample's own PLY reproduces its stored image (PNG quantisation only).
        let a = try Data(contentsOf: URL(fileURLWithPath: views + "/4.png"))
        let b = try Data(contentsOf: URL(fileURLWithPath: scene + "/images/4.png"))
        XCTAssertEqual(a, b)
        XCTAssertTrue(FileManager.default.fileExists(atPath: views + "/4.npy"))
        let fit = try runAudioplane(["splat", "fit", "--data", scene, "--out", folder.appendingPathComponent("fit.ply").path,
                                     "--iterations", "30", "--init-count", "200"])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        XCTAssertTrue(fit.stdout.contains("held-out PSNR"), fit.stdout)
    }

    func testBadInputsGiveOneLineErrors() throws {
        let cams = folder.appendingPathComponent("cams.json")
        try Data(#"{"cx": 8, "cy": 8, "frames": []}"#.utf8).write(to: cams)
        let ply = folder.appendingPathComponent("bad.ply")
        try Data("ply\nformat binary_little_endian 1.0\nelement vertex 100\nproperty float x\nend_header\n".utf8).write(to: ply)
        let notGaussian = folder.appendingPathComponent("points.ply")
        try Data("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n0 0 0\n".utf8)
            .write(to: notGaussian)
        let out = folder.appendingPathComponent("o").path
        assertOneLineError(try runAudioplane(["splat", "render", "/nonexistent/scene.ply", "--transforms", cams.path, "--out", out]),
                           mentions: "/nonexistent/scene.ply: cannot read")
        assertOneLineError(try runAudioplane(["splat", "render", ply.path, "--transforms", cams.path, "--out", out]),
                           mentions: "truncated PLY")
        assertOneLineError(try runAudioplane(["splat", "render", notGaussian.path, "--transforms", cams.path, "--out", out]),
                           mentions: "missing property 'f_dc_0'")
        // A valid scene with a camera file lacking focal_len.
        let scene = folder.appendingPathComponent("s").path
        XCTAssertEqual(try runAudioplane(["splat", "sample", "--out", scene, "--count", "50", "--views", "2", "--size", "16"]).status, 0)
        assertOneLineError(try runAudioplane(["splat", "render", scene + "/scene.ply", "--transforms", cams.path, "--out", out]),
                           mentions: "missing field 'focal_len'")
        // Usage errors keep ArgumentParser's exit code 64 and name the flag.
        let usage = try runAudioplane(["splat", "render", scene + "/scene.ply", "--transforms", cams.path, "--out", out, "--background", "2,0,0"])
        XCTAssertEqual(usage.status, 64)
        XCTAssertTrue(usage.stderr.contains("--background"), usage.stderr)
    }

    func testHelpListsSubcommands() throws {
        let help = try runAudioplane(["splat", "--help"])
        XCTAssertEqual(help.status, 0)
        for word in ["render", "fit", "sample"] { XCTAssertTrue(help.stdout.contains(word), help.stdout) }
    }
}
