import _TestSupport
import Foundation
import XCTest

/// `audioplane train` run as a user would: help, a bad dataset, Ctrl-C (SIGINT) writing a
/// checkpoint, `--resume`, and refusing to overwrite a model.
final class TrainCLITests: XCTestCase {
    var folder: URL!
    override func setUp() { folder = makeTemporaryDirectory("audioplane-cli-train") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func testHelpAndBadDataset() throws {
        let help = try runAudioplane(["train", "--help"])
        XCTAssertEqual(help.status, 0)
        for flag in ["--data", "--out", "--preset", "--iterations", "--resume", "--seed"] { XCTAssertTrue(help.stdout.contains(flag), flag) }

        let bad = try runAudioplane(["train", "--data", folder.appendingPathComponent("nothing").path, "--out", folder.appendingPathComponent("m").path])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.hasPrefix("audioplane: error: ") && bad.stderr.contains("dataset check failed"), bad.stderr)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
    }

    func testInterruptWritesCheckpointThenResume() throws {
        let data = folder.appendingPathComponent("data").path, model = folder.appendingPathComponent("model").path
        let synth = try runAudioplane(["synth", "--out", data, "--seconds", "1", "--size", "48", "--detail", "0.1", "--quiet"])
        XCTAssertEqual(synth.status, 0, synth.stderr)

        // A long run, interrupted with SIGINT after a couple of seconds.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try audioplaneBinary())
        process.arguments = ["train", "--data", data, "--out", model, "--coarse-iterations", "20", "--iterations", "1000000",
                             "--perceptual", "dssim", "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 4)
        process.interrupt()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130, "interrupted run exits with 130 after writing its checkpoint")
        for file in ["weights.safetensors", "config.json", "head.ply", "log.csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: model + "/" + file), file)
        }

        // Without --resume the model is not overwritten.
        let again = try runAudioplane(["train", "--data", data, "--out", model, "--quiet"])
        XCTAssertEqual(again.status, 64, "a usage error (EX_USAGE)")
        XCTAssertTrue(again.stderr.contains("--resume"), again.stderr)

        // --resume with a small fine-stage count: continues (or, already past it, finishes at once).
        let resumed = try runAudioplane(["train", "--data", data, "--out", model, "--resume", "--iterations", "5", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("trained"), resumed.stdout)
    }
}
