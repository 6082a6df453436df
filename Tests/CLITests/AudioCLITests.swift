import _TestSupport
import Foundation
import XCTest

/// `audioplane features` and `audioplane say`, run as a user would: the built binary, real files.
/// Skips when the binary has not been built (set AUDIOPLANE_BIN to point at one explicitly).
final class AudioCLITests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryDirectory("audioplane-cli-audio") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    @discardableResult
    private func run(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
        try runProcess(executable, arguments)
    }

    private func audioplane(_ arguments: String...) throws -> ProcessResult {
        try runAudioplane(arguments)
    }

    private func ffmpeg(_ arguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg is not installed") }
        let result = try run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-y"] + arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testSayThenFeatures() throws {
        let wav = folder.appendingPathComponent("speech.wav").path
        let json = folder.appendingPathComponent("phonemes.json").path
        let npy = folder.appendingPathComponent("feats.npy").path
        let say = try audioplane("say", "--text", "Hello there, how are you?", "--voice", "en-us", "--out", wav, "--phonemes", json)
        XCTAssertEqual(say.status, 0, say.stderr)
        let phonemes = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        let durationMs = phonemes["durationMs"] as! Int
        let events = phonemes["phonemes"] as! [[String: Any]]
        XCTAssertEqual(events.first?["startMs"] as? Int, 0)
        XCTAssertEqual(events.last?["endMs"] as? Int, durationMs)
        let starts = events.map { $0["startMs"] as! Int }
        XCTAssertEqual(starts, starts.sorted())

        let features = try audioplane("features", "--audio", wav, "--out", npy)
        XCTAssertEqual(features.status, 0, features.stderr)
        let wavBytes = try Data(contentsOf: URL(fileURLWithPath: wav)).count
        let expectedFrames = ((wavBytes - 44) / 2 + 639) / 640
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { return }
        let check = try run("/usr/bin/python3", ["-c", "import numpy; a = numpy.load('\(npy)'); print(a.shape, a.dtype)"])
        XCTAssertEqual(check.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "(\(expectedFrames), 16, 32) float32", check.stderr)
    }

    func testMissingAudioFile() throws {
        assertOneLineError(try audioplane("features", "--audio", folder.appendingPathComponent("nope.wav").path,
                                          "--out", folder.appendingPathComponent("f.npy").path), mentions: "nope.wav: no such file")
    }

    func testTextFileRenamedWav() throws {
        let url = folder.appendingPathComponent("notes.wav")
        try "just some words\n".write(to: url, atomically: true, encoding: .utf8)
        assertOneLineError(try audioplane("features", "--audio", url.path, "--out", folder.appendingPathComponent("f.npy").path),
                           mentions: "notes.wav: not an audio or video file")
    }

    func testZeroLengthWav() throws {
        let url = folder.appendingPathComponent("empty.wav")
        _ = FileManager.default.createFile(atPath: url.path, contents: Data())
        assertOneLineError(try audioplane("features", "--audio", url.path, "--out", folder.appendingPathComponent("f.npy").path),
                           mentions: "empty.wav: file is empty")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("f.npy").path))
    }

    func testVideoWithoutAudio() throws {
        let url = folder.appendingPathComponent("video.mp4")
        try ffmpeg(["-f", "lavfi", "-i", "testsrc=duration=0.4:size=64x64:rate=25", "-c:v", "mpeg4", url.path])
        assertOneLineError(try audioplane("features", "--audio", url.path, "--out", folder.appendingPathComponent("f.npy").path),
                           mentions: "video.mp4: has no audio stream")
    }

    func testUnknownVoice() throws {
        assertOneLineError(try audioplane("say", "--text", "hi", "--voice", "nosuchvoice", "--out", folder.appendingPathComponent("s.wav").path),
                           mentions: "unknown espeak-ng voice 'nosuchvoice'")
    }

    func testMissingOutputFolder() throws {
        assertOneLineError(try audioplane("say", "--text", "hi", "--out", folder.appendingPathComponent("no/dir/s.wav").path),
                           mentions: "cannot write wav file")
    }

    func testUsageErrors() throws {
        let noOut = try audioplane("features", "--audio", "x.wav")
        XCTAssertNotEqual(noOut.status, 0)
        XCTAssertTrue(noOut.stderr.contains("--out"), noOut.stderr)
        let help = try audioplane("features", "--help")
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("--audio"))
        XCTAssertTrue(help.stdout.contains("--bench"))
    }
}
