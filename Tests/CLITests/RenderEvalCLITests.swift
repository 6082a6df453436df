import _TestSupport
import Foundation
import XCTest

/// `audioplane render` and `audioplane eval` run as a user would, on a tiny model trained once
/// (48×48 synthetic speaker, 2 s, 30 coarse + 10 fine iterations): ffprobe checks of the mp4,
/// two espeak-ng voices, `--size`, eval's JSON line against the training log, and bad inputs.
final class RenderEvalCLITests: XCTestCase {
    static let folder = makeTemporaryDirectory("audioplane-cli-render")
    static var data: String { folder.appendingPathComponent("data").path }
    static var model: String { folder.appendingPathComponent("model").path }
    nonisolated(unsafe) static var prepared: Result<Void, Error>?

    override func setUpWithError() throws {
        if Self.prepared == nil {
            Self.prepared = Result {
                let synth = try runAudioplane(["synth", "--out", Self.data, "--seconds", "2", "--size", "48", "--detail", "0.1", "--quiet"])
                guard synth.status == 0 else { throw NSError(domain: "synth", code: 1, userInfo: [NSLocalizedDescriptionKey: synth.stderr]) }
                let train = try runAudioplane(["train", "--data", Self.data, "--out", Self.model, "--coarse-iterations", "30",
                                               "--iterations", "10", "--perceptual", "dssim", "--quiet"])
                guard train.status == 0 else { throw NSError(domain: "train", code: 1, userInfo: [NSLocalizedDescriptionKey: train.stderr]) }
            }
        }
        try Self.prepared!.get()
    }

    override class func tearDown() { try? FileManager.default.removeItem(at: folder) }

    func path(_ name: String) -> String { Self.folder.appendingPathComponent(name).path }

    /// ffprobe's streams of `file`: codec, size, frame rate, duration per stream.
    func probe(_ file: String) throws -> [[String: Any]] {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffprobe") else { throw XCTSkip("ffprobe is not installed") }
        let r = try runProcess("/usr/bin/ffprobe", ["-v", "error", "-show_streams", "-of", "json", file])
        XCTAssertEqual(r.status, 0, r.stderr)
        let root = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return root?["streams"] as? [[String: Any]] ?? []
    }

    func assertVideo(_ file: String, width: Int, height: Int, audioSeconds: Double?, file line: UInt = #line) throws {
        let streams = try probe(file)
        let video = try XCTUnwrap(streams.first { $0["codec_type"] as? String == "video" }, line: line)
        let audio = try XCTUnwrap(streams.first { $0["codec_type"] as? String == "audio" }, "an audio stream", line: line)
        XCTAssertEqual(video["codec_name"] as? String, "h264", line: line)
        XCTAssertEqual(video["width"] as? Int, width, line: line)
        XCTAssertEqual(video["height"] as? Int, height, line: line)
        XCTAssertEqual(video["r_frame_rate"] as? String, "25/1", line: line)
        let videoSeconds = try XCTUnwrap(Double(video["duration"] as? String ?? ""), line: line)
        let soundSeconds = try XCTUnwrap(Double(audio["duration"] as? String ?? ""), line: line)
        let truth = audioSeconds ?? soundSeconds
        XCTAssertEqual(videoSeconds, truth, accuracy: 0.04, "video lasts as long as the audio, within one frame", line: line)
        XCTAssertEqual(soundSeconds, truth, accuracy: 0.04, line: line)
    }

    func testRenderAudioFileAndTextInTwoVoices() throws {
        let wav = path("hello.wav")
        let say = try runAudioplane(["say", "--text", "Hello, how are you today?", "--out", wav])
        XCTAssertEqual(say.status, 0, say.stderr)
        let wavSeconds = Double((try Data(contentsOf: URL(fileURLWithPath: wav))).count - 44) / 2 / 16_000

        let fromAudio = try runAudioplane(["render", "--model", Self.model, "--audio", wav, "--out", path("audio.mp4"), "--quiet"])
        XCTAssertEqual(fromAudio.status, 0, fromAudio.stderr)
        XCTAssertTrue(fromAudio.stdout.contains("frames"), fromAudio.stdout)
        try assertVideo(path("audio.mp4"), width: 48, height: 48, audioSeconds: wavSeconds)

        for (voice, text) in [("en-us", "The quick brown fox jumps over the lazy dog."), ("de", "Guten Morgen, wie geht es dir?")] {
            let out = path("text-\(voice).mp4")
            let r = try runAudioplane(["render", "--model", Self.model, "--text", text, "--voice", voice, "--out", out, "--quiet"])
            XCTAssertEqual(r.status, 0, r.stderr)
            try assertVideo(out, width: 48, height: 48, audioSeconds: nil)
        }

        let sized = try runAudioplane(["render", "--model", Self.model, "--audio", wav, "--out", path("sized.mp4"), "--size", "64x32", "--quiet"])
        XCTAssertEqual(sized.status, 0, sized.stderr)
        try assertVideo(path("sized.mp4"), width: 64, height: 32, audioSeconds: wavSeconds)
    }

    func testEvalJSONMatchesTrainingLog() throws {
        let r = try runAudioplane(["eval", "--model", Self.model, "--data", Self.data, "--max-frames", "20", "--json", "--quiet"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stdout)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let psnr = try XCTUnwrap(json["psnr"] as? Double), mouth = try XCTUnwrap(json["mouthPSNR"] as? Double)
        // log.csv: stage,iteration,train_loss,psnr,mouth_psnr,… (4 decimals).
        let log = try String(contentsOfFile: Self.model + "/log.csv", encoding: .utf8).split(separator: "\n")
        let last = log.last!.split(separator: ",")
        XCTAssertEqual(psnr, Double(last[3])!, accuracy: 1e-4, "eval reproduces the validation PSNR of training")
        XCTAssertEqual(mouth, Double(last[4])!, accuracy: 1e-4)
        XCTAssertGreaterThan(json["frames"] as? Int ?? 0, 0)

        let plain = try runAudioplane(["eval", "--model", Self.model, "--data", Self.data, "--quiet"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("mouth PSNR"), plain.stdout)
    }

    func testBadInputsGiveOneLineErrorsAndNoVideo() throws {
        let out = path("bad.mp4")
        func noVideo(_ line: UInt = #line) {
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "no mp4 may be left behind", line: line)
            let hidden = (try? FileManager.default.contentsOfDirectory(atPath: Self.folder.path))?.filter { $0.hasPrefix(".bad.mp4") } ?? []
            XCTAssertEqual(hidden, [], "nor ffmpeg's temporary file", line: line)
        }
        assertOneLineError(try runAudioplane(["render", "--model", Self.model, "--audio", path("missing.wav"), "--out", out]),
                           mentions: "missing.wav")
        noVideo()
        let text = path("text.wav")
        try Data("this is not audio".utf8).write(to: URL(fileURLWithPath: text))
        assertOneLineError(try runAudioplane(["render", "--model", Self.model, "--audio", text, "--out", out]), mentions: "text.wav")
        noVideo()
        assertOneLineError(try runAudioplane(["render", "--model", Self.model, "--text", "...", "--out", out]), mentions: "nothing speakable")
        noVideo()
        assertOneLineError(try runAudioplane(["render", "--model", Self.model, "--text", "Hi there", "--out", path("no/such/folder/x.mp4")]),
                           mentions: "does not exist")
        assertOneLineError(try runAudioplane(["render", "--model", Self.model, "--text", "Hi there", "--out", "/proc/audioplane-test.mp4"]),
                           mentions: "/proc/audioplane-test.mp4")

        // A model folder without its weights.
        let broken = path("broken-model")
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.model + "/config.json", toPath: broken + "/config.json")
        assertOneLineError(try runAudioplane(["render", "--model", broken, "--text", "Hi there", "--out", out]), mentions: "weights.safetensors")
        assertOneLineError(try runAudioplane(["eval", "--model", broken, "--data", Self.data]), mentions: "weights.safetensors")
        assertOneLineError(try runAudioplane(["render", "--model", path("nothing-here"), "--text", "Hi", "--out", out]), mentions: "nothing-here")
        noVideo()

        // A dataset of another size.
        let small = path("small-data")
        XCTAssertEqual(try runAudioplane(["synth", "--out", small, "--seconds", "1", "--size", "32", "--detail", "0.1", "--quiet"]).status, 0)
        assertOneLineError(try runAudioplane(["render", "--model", Self.model, "--data", small, "--text", "Hi there", "--out", out]),
                           mentions: "32×32")
        assertOneLineError(try runAudioplane(["eval", "--model", Self.model, "--data", small]), mentions: "32×32")
        noVideo()

        // Usage errors: both or neither speech source.
        XCTAssertEqual(try runAudioplane(["render", "--model", Self.model, "--text", "a", "--audio", "b", "--out", out]).status, 64)
        XCTAssertEqual(try runAudioplane(["render", "--model", Self.model, "--out", out]).status, 64)
        noVideo()
    }
}
