import _TestSupport
import Foundation
import XCTest

/// `audioplane synth`, `dataset check` and `dataset show` run as a user would (built binary).
final class DatasetCLITests: XCTestCase {
    var folder: URL!
    override func setUp() { folder = makeTemporaryDirectory("audioplane-cli-dataset") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private func audioplane(_ arguments: [String]) throws -> ProcessResult { try runAudioplane(arguments) }

    func testSynthThenCheckThenShowThenBreakIt() throws {
        let data = folder.appendingPathComponent("data").path
        let synth = try audioplane(["synth", "--out", data, "--seconds", "0.6", "--size", "48", "--detail", "0.05", "--quiet"])
        XCTAssertEqual(synth.status, 0, synth.stderr)
        XCTAssertTrue(synth.stdout.contains("15 frames"), synth.stdout)

        let ok = try audioplane(["dataset", "check", data])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertTrue(ok.stdout.contains("OK: 15 frames"), ok.stdout)

        let png = folder.appendingPathComponent("overlay.png").path
        let show = try audioplane(["dataset", "show", data, "--frame", "3", "--out", png])
        XCTAssertEqual(show.status, 0, show.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: png))

        try FileManager.default.removeItem(atPath: data + "/gt_imgs/4.jpg")
        try FileManager.default.removeItem(atPath: data + "/parsing/7.png")
        let bad = try audioplane(["dataset", "check", data])
        XCTAssertEqual(bad.status, 1)
        let lines = bad.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, bad.stdout)
        XCTAssertTrue(lines.contains { $0.contains("gt_imgs/4.jpg: frame 4:") })
        XCTAssertTrue(lines.contains { $0.contains("parsing/7.png: frame 7:") })
        XCTAssertTrue(bad.stderr.contains("2 problem(s)"))

        let missing = try audioplane(["dataset", "show", folder.appendingPathComponent("nothing").path, "--frame", "0", "--out", png])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("audioplane: error: ") && missing.stderr.contains("transforms_train.json: missing"), missing.stderr)

        let usage = try audioplane(["synth", "--out", data, "--text-seed", "2", "--text-file", "x.txt"])
        XCTAssertEqual(usage.status, 64)
    }
}
