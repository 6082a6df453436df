import AudioFeatures
import DataIO
import Foundation
import XCTest
import _TestSupport

/// VideoWriter / VideoReader / MediaProbe against the real ffmpeg and ffprobe (installed by
/// scripts/setup.sh). Small frames keep the suite fast; the 512² speed test prints frames/s.
final class VideoTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        guard ExternalTool.find("ffmpeg") != nil, ExternalTool.find("ffprobe") != nil else {
            throw XCTSkip("ffmpeg/ffprobe not installed (scripts/setup.sh installs them)")
        }
        folder = makeTemporaryDirectory("audioplane-video")
    }

    override func tearDown() {
        if let folder {
            _ = chmod(folder.path, 0o755)
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// A 440 Hz tone of `seconds` as a 16 kHz mono 16-bit wav (what `aud.wav` is).
    func makeTone(seconds: Double, name: String = "tone.wav") throws -> URL {
        let count = Int((seconds * 16_000).rounded())
        let samples = (0..<count).map { 0.3 * sinf(2 * .pi * 440 * Float($0) / 16_000) }
        let url = folder.appendingPathComponent(name)
        try WavFile.write16BitMono(samples, sampleRate: 16_000, to: url)
        return url
    }

    /// Smooth, moving test frames (gradients, no sharp chroma edges that 4:2:0 would blur; no wrap).
    func frame(_ k: Int, width: Int, height: Int) -> Image8 {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for row in 0..<height {
            for col in 0..<width {
                let i = 3 * (row * width + col)
                pixels[i] = UInt8(min(255, col * 200 / max(1, width - 1) + 4 * k))
                pixels[i + 1] = UInt8(row * 255 / max(1, height - 1))
                pixels[i + 2] = UInt8(128 + Int(60 * sin(Double(col + row + 3 * k) / 9)))
            }
        }
        return Image8(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// Files left in the test folder other than `keep`.
    func leftovers(except keep: Set<String>) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !keep.contains($0) }
    }

    // MARK: - Format, size, rate, audio, duration

    /// ffprobe sees H.264 at 25 fps of the requested size with an AAC stream, and the file, the
    /// video stream and the audio stream all last the audio's T within one frame (40 ms), for
    /// durations on and off the 40 ms grid and for callers that give N, fewer or more frames.
    func testVideoMatchesAudioDurationWithinOneFrame() throws {
        let (width, height) = (96, 64)
        for (seconds, extra) in [(1.37, 0), (1.40, 0), (0.5, 0), (1.37, -4), (1.37, 6)] {
            let audio = try makeTone(seconds: seconds)
            let out = folder.appendingPathComponent("talk.mp4")
            let writer = try VideoWriter(url: out, width: width, height: height, audio: audio)
            let n = try XCTUnwrap(writer.expectedFrameCount)
            XCTAssertEqual(n, Int((25 * seconds).rounded(.up)), "N = ⌈25·T⌉")
            for k in 0..<(n + extra) { try writer.append(frame(k, width: width, height: height)) }
            let summary = try writer.finish()
            XCTAssertEqual(summary.framesAppended, n + extra)

            let info = try MediaProbe.probe(out)
            let video = try XCTUnwrap(info.video), sound = try XCTUnwrap(info.audio)
            let label = "T = \(seconds) s, \(n + extra) frames given"
            XCTAssertEqual(video.codec, "h264", label)
            XCTAssertEqual(video.fps, 25, accuracy: 1e-9, label)
            XCTAssertEqual(video.width, width, label)
            XCTAssertEqual(video.height, height, label)
            XCTAssertEqual(video.pixelFormat, "yuv420p", label)
            XCTAssertEqual(sound.codec, "aac", label)
            XCTAssertEqual(try XCTUnwrap(info.duration), seconds, accuracy: 0.040, "file: \(label)")
            XCTAssertEqual(try XCTUnwrap(video.duration), seconds, accuracy: 0.040, "video stream: \(label)")
            XCTAssertEqual(try XCTUnwrap(sound.duration), seconds, accuracy: 0.040, "audio stream: \(label)")
            XCTAssertEqual(try leftovers(except: ["talk.mp4", "tone.wav"]), [], "no temporary files left")
        }
    }

    /// An independent look with the ffprobe command line (not through `MediaProbe`).
    func testFFprobeCommandLineAgrees() throws {
        let audio = try makeTone(seconds: 0.8)
        let out = folder.appendingPathComponent("check.mp4")
        let writer = try VideoWriter(url: out, width: 64, height: 32, audio: audio)
        for k in 0..<writer.expectedFrameCount! { try writer.append(frame(k, width: 64, height: 32)) }
        try writer.finish()
        let result = try runProcess(ExternalTool.find("ffprobe")!, ["-v", "error", "-show_entries",
            "stream=codec_type,codec_name,width,height,r_frame_rate", "-of", "compact=p=0:nk=1", out.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init).sorted()
        XCTAssertEqual(lines, ["aac|audio|0/0", "h264|video|64|32|25/1"])
    }

    /// Without audio the video lasts N/25 s and has no audio stream.
    func testVideoWithoutAudio() throws {
        let out = folder.appendingPathComponent("silent.mp4")
        let writer = try VideoWriter(url: out, width: 32, height: 32)
        XCTAssertNil(writer.expectedFrameCount)
        for k in 0..<10 { try writer.append(frame(k, width: 32, height: 32)) }
        let summary = try writer.finish()
        XCTAssertEqual(summary.duration, 0.4, accuracy: 1e-12)
        let info = try MediaProbe.probe(out)
        XCTAssertFalse(info.hasAudio)
        XCTAssertEqual(info.video?.frameCount, 10)
        XCTAssertEqual(try XCTUnwrap(info.duration), 0.4, accuracy: 0.040)
    }

    /// Frames read back match what was written. H.264 at CRF 18 in 4:2:0 is lossy; on these smooth
    /// frames the worst frame measures 34.4 dB (x264 of Debian 12); 30 dB leaves margin for other
    /// x264 builds while still catching
    /// a wrong channel order, row stride, size or frame order (those give < 15 dB).
    func testReadBackIsCloseToWritten() throws {
        let (width, height) = (80, 48)
        let out = folder.appendingPathComponent("roundtrip.mp4")
        let writer = try VideoWriter(url: out, width: width, height: height)
        let written = (0..<12).map { frame($0, width: width, height: height) }
        for (k, image) in written.enumerated() {
            if k % 2 == 0 { try writer.append(image) } else { try writer.append(rgbFloats: image.floats) }
        }
        try writer.finish()

        let reader = try VideoReader(url: out)
        XCTAssertEqual(reader.width, width)
        XCTAssertEqual(reader.height, height)
        var read: [Image8] = []
        while let image = try reader.next() { read.append(image) }
        XCTAssertEqual(read.count, written.count)
        var worst = Double.infinity
        for (k, (a, b)) in zip(read, written).enumerated() {
            var squared = 0.0
            for i in 0..<a.pixels.count { let d = Double(a.pixels[i]) - Double(b.pixels[i]); squared += d * d }
            let psnr = 10 * log10(255 * 255 / max(squared / Double(a.pixels.count), 1e-12))
            XCTAssertGreaterThan(psnr, 30, "frame \(k)")
            worst = min(worst, psnr)
        }
        print(String(format: "VideoReader round trip: worst frame PSNR %.1f dB", worst))
        XCTAssertNil(try reader.next(), "stays at the end")
        XCTAssertEqual(try VideoReader.readAll(out).count, written.count)
    }

    // MARK: - Atomicity

    /// ffmpeg fails mid-job (the "audio" is not audio; the probe is skipped by giving a duration):
    /// a one-line error quoting ffmpeg, nothing at the destination, no temporary file; an older
    /// video already at the destination is left exactly as it was.
    func testFailingEncodeLeavesNoFile() throws {
        let bogus = folder.appendingPathComponent("bogus.wav")
        try Data(repeating: 7, count: 5000).write(to: bogus)
        for existing in [nil, Data("an older, complete video".utf8)] {
            let out = folder.appendingPathComponent("fail.mp4")
            if let existing { try existing.write(to: out) }
            var caught: Error?
            do {
                let writer = try VideoWriter(url: out, width: 64, height: 64, audio: bogus, audioDuration: 1)
                for k in 0..<200 { try writer.append(frame(k, width: 64, height: 64)) }
                try writer.finish()
            } catch { caught = error }
            let error = try XCTUnwrap(caught as? VideoWriter.Error, "expected a VideoWriter.Error, got \(String(describing: caught))")
            guard case .ffmpegFailed = error else { return XCTFail("expected ffmpegFailed, got \(error)") }
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"), text)
            XCTAssertTrue(text.hasPrefix(out.path + ": ffmpeg failed"), text)
            XCTAssertGreaterThan(text.count, (out.path + ": ffmpeg failed to encode the video: ").count, "quotes ffmpeg: \(text)")
            XCTAssertEqual(FileManager.default.contents(atPath: out.path), existing)
            XCTAssertEqual(try leftovers(except: ["bogus.wav", "fail.mp4"]), [])
        }
    }

    /// `cancel()` and dropping an unfinished writer both remove everything.
    func testCancelAndAbandonLeaveNothing() throws {
        let out = folder.appendingPathComponent("cancelled.mp4")
        let writer = try VideoWriter(url: out, width: 32, height: 32)
        for k in 0..<5 { try writer.append(frame(k, width: 32, height: 32)) }
        XCTAssertEqual(try leftovers(except: []).count, 1, "the hidden temporary file exists while encoding")
        writer.cancel()
        writer.cancel()
        XCTAssertThrowsError(try writer.finish())
        XCTAssertEqual(try leftovers(except: []), [])

        do {
            let dropped = try VideoWriter(url: out, width: 32, height: 32)
            try dropped.append(frame(0, width: 32, height: 32))
        }
        XCTAssertEqual(try leftovers(except: []), [])
    }

    // MARK: - One-line errors

    func assertOneLine(_ expression: @autoclosure () throws -> Any, mentions words: [String],
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"), text, file: file, line: line)
            for w in words { XCTAssertTrue(text.contains(w), "expected '\(w)' in: \(text)", file: file, line: line) }
        }
    }

    /// A read-only folder: chmod 555 for a normal user; root ignores permissions, so as root the
    /// test uses /proc, where even root cannot create files.
    func testReadOnlyFolder() throws {
        var readOnly = folder.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
        _ = chmod(readOnly.path, 0o555)
        if FileManager.default.createFile(atPath: readOnly.appendingPathComponent("probe").path, contents: nil) {
            readOnly = URL(fileURLWithPath: "/proc")  // running as root
        }
        let out = readOnly.appendingPathComponent("talk.mp4")
        assertOneLine(try VideoWriter(url: out, width: 32, height: 32), mentions: [out.path, "cannot create a file in \(readOnly.path)"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testMissingFolderMissingFFmpegBadSizesAndAudio() throws {
        let missing = folder.appendingPathComponent("no/such/folder/talk.mp4")
        assertOneLine(try VideoWriter(url: missing, width: 32, height: 32), mentions: [missing.path, "does not exist"])

        let out = folder.appendingPathComponent("talk.mp4")
        var settings = VideoEncodingSettings()
        settings.ffmpeg = "/nonexistent/ffmpeg"
        assertOneLine(try VideoWriter(url: out, width: 32, height: 32, settings: settings), mentions: [out.path, "not installed"])
        assertOneLine(try VideoWriter(url: out, width: 33, height: 32), mentions: [out.path, "even"])
        assertOneLine(try VideoWriter(url: folder, width: 32, height: 32), mentions: ["a folder has that name"])

        let noAudio = folder.appendingPathComponent("missing.wav")
        assertOneLine(try VideoWriter(url: out, width: 32, height: 32, audio: noAudio), mentions: [noAudio.path, out.path])
        let silentVideo = folder.appendingPathComponent("silent.mp4")
        let w = try VideoWriter(url: silentVideo, width: 32, height: 32)
        try w.append(frame(0, width: 32, height: 32)); try w.finish()
        assertOneLine(try VideoWriter(url: out, width: 32, height: 32, audio: silentVideo), mentions: [silentVideo.path, "no audio stream"])
        XCTAssertEqual(try leftovers(except: ["silent.mp4"]), [])
    }

    func testWrongFrameSizeAndNoFrames() throws {
        let out = folder.appendingPathComponent("talk.mp4")
        let writer = try VideoWriter(url: out, width: 32, height: 32)
        assertOneLine(try writer.append(frame(0, width: 32, height: 30)), mentions: [out.path, "frame 0", "32×30×3", "32×32×3"])
        assertOneLine(try writer.append(rgbFloats: [0, 0, 0]), mentions: [out.path, "3 floats"])
        assertOneLine(try writer.finish(), mentions: [out.path, "no frames"])
        XCTAssertEqual(try leftovers(except: []), [])
    }

    // MARK: - MediaProbe

    func testProbeParsesRotationAndRejectsNonMedia() throws {
        let json = """
        {"streams":[{"codec_type":"video","codec_name":"h264","width":1920,"height":1080,"avg_frame_rate":"30000/1001",
          "r_frame_rate":"30/1","duration":"2.002","nb_frames":"60","pix_fmt":"yuv420p","side_data_list":[{"rotation":-90}]},
          {"codec_type":"audio","codec_name":"aac","sample_rate":"44100","channels":2,"duration":"2.0"}],
         "format":{"duration":"2.002000","format_name":"mov,mp4,m4a,3gp,3g2,mj2"}}
        """
        let info = try MediaProbe.parse(Data(json.utf8), path: "phone.mp4")
        let video = try XCTUnwrap(info.video)
        XCTAssertEqual(video.fps, 30000.0 / 1001, accuracy: 1e-9)
        XCTAssertEqual(video.rotation, 270)
        XCTAssertEqual(video.displayWidth, 1080)
        XCTAssertEqual(video.displayHeight, 1920)
        XCTAssertEqual(video.frameCount, 60)
        let audio = try XCTUnwrap(info.audio)
        XCTAssertEqual([audio.codec, "\(audio.sampleRate)", "\(audio.channels)", "\(audio.duration ?? 0)"], ["aac", "44100", "2", "2.0"])

        let text = folder.appendingPathComponent("notes.txt")
        try Data("hello".utf8).write(to: text)
        assertOneLine(try MediaProbe.probe(text), mentions: [text.path, "cannot read the media file"])
        assertOneLine(try VideoReader(url: try makeTone(seconds: 0.2)), mentions: ["no video stream"])
    }

    // MARK: - Speed

    /// Encoding speed at 512×512 (release build; printed, not asserted: the machine is shared).
    func testEncodeSpeedAt512IsReported() throws {
        let audio = try makeTone(seconds: 10)
        let out = folder.appendingPathComponent("speed.mp4")
        let frames = (0..<25).map { frame($0, width: 512, height: 512) }  // made before the clock starts
        let start = Date()
        let writer = try VideoWriter(url: out, width: 512, height: 512, audio: audio)
        let n = writer.expectedFrameCount!
        XCTAssertEqual(n, 250)
        for k in 0..<n { try writer.append(frames[k % frames.count]) }  // 25 distinct frames cycled
        try writer.finish()
        let seconds = Date().timeIntervalSince(start)
        print(String(format: "VideoWriter: %d frames 512×512 + 10 s AAC in %.2f s = %.1f frames/s, real-time factor %.3f (veryfast, crf 18, incl. ffprobe + ffmpeg start)",
                     n, seconds, Double(n) / seconds, seconds / 10))
    }
}
