import _TestSupport
import Foundation
import XCTest

/// `audioplane features` and `audioplane say`, run as a user would: the built binary, real files.
/// Skips when the binary has not been built (set AUDIOPLANE_BIN to point at one explicitly).
final class AudioCLITests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryDirectory("audioplane-cli-audio") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// The binary next to the test bundle (same build folder), else .build/debug/audioplane.
    private func binary() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["AUDIOPLANE_BIN"] { candidates.append(explicit) }
        let testExecutable = URL(fileURLWithPath: CommandLine.arguments[0])
        var dir = testExecutable.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("audioplane").path)
            dir = dir.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/audioplane").path)
        for path in candidates where FileManager.default.isExecutableFile(atPath: path) { return path }
        throw XCTSkip("audioplane binary not built (swift build), tried \(candidates)")
    }

    @discardableResult
    private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let outURL = folder.appendingPathComponent("stdout-\(UUID().uuidString)"), errURL = folder.appendingPathComponent("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    private func audioplane(_ arguments: String...) throws -> (status: Int32, stdout: String, stderr: String) {
        try run(try binary(), arguments)
    }

    private func ffmpeg(_ arguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg is not installed") }
        let result = try run("/usr/bin/ffmpeg", ["-nostdin", "-v", "error", "-y"] + arguments)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// Exit status 1 and exactly one stderr line `audioplane: error: …` containing `words`.
    private func assertOneLineError(_ result: (status: Int32, stdout: String, stderr: String), mentions words: String, line: UInt = #line) {
        XCTAssertEqual(result.status, 1, "stderr: \(result.stderr)", line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "stderr: \(result.stderr)", line: line)
        XCTAssertTrue(result.stderr.hasPrefix("audioplane: error: "), result.stderr, line: line)
        XCTAssertTrue(result.stderr.contains(words), "\(result.stderr) does not mention '\(words)'", line: line)
    }

    /// say → wav + phonemes.json → features → npy that numpy reads with shape [⌈25·T⌉, 16, 32].
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
