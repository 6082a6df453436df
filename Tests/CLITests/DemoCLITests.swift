import _TestSupport
import Foundation
import XCTest

/// `audioplane demo` end to end on a short schedule (5 s speaker, 20 coarse + 10 fine iterations):
/// every promised file appears, the metrics line parses, an interruption during training exits 130
/// with a checkpoint, and running the same command again finishes from there without redoing the
/// datasets.
final class DemoCLITests: XCTestCase {
    func testDemoRunsInterruptsAndResumes() throws {
        let folder = makeTemporaryDirectory("audioplane-cli-demo")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("demo").path
        let arguments = ["demo", "--out", out, "--seconds", "5", "--coarse-iterations", "20", "--iterations", "100000",
                         "--text", "Hello world."]

        // Interrupted during the (long) fine stage.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try audioplaneBinary())
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        let logURL = folder.appendingPathComponent("demo.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        // Wait until training has begun (the two datasets exist), then a bit more.
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: out + "/model/preview.png") && Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.5)
        }
        guard FileManager.default.fileExists(atPath: out + "/model/preview.png") else {
            process.terminate()
            process.waitUntilExit()
            return XCTFail("training never started within 120 s: \((try? String(contentsOf: logURL, encoding: .utf8)) ?? "")")
        }
        Thread.sleep(forTimeInterval: 1)
        process.interrupt()
        process.waitUntilExit()
        let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 130, log)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/model/weights.safetensors"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/metrics.json"))
        let synthJSON = try Data(contentsOf: URL(fileURLWithPath: out + "/speaker/synth.json"))

        // Again, now with a short fine stage: resumes, skips the datasets, finishes.
        var again = arguments
        again[again.firstIndex(of: "100000")!] = "10"
        let finished = try runAudioplane(again)
        XCTAssertEqual(finished.status, 0, finished.stderr)
        XCTAssertTrue(finished.stderr.contains("(already there)"), finished.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/speaker/synth.json")), synthJSON, "the dataset was not regenerated")
        for file in ["new-sentence.mp4", "heldout-comparison.mp4", "metrics.json", "model/head.ply", "model/log.csv"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
        }
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json"))) as? [String: Any]
        XCTAssertEqual(metrics?["frames"] as? Int, 300, "12 s of held-out frames")
        XCTAssertNotNil(metrics?["psnr"] as? Double)
        XCTAssertTrue(finished.stdout.contains("held-out metrics: PSNR"), finished.stdout)
    }
}
