@testable import AudioFeatures
import _TestSupport
import XCTest

final class DecoderTests: XCTestCase {
    var folder: URL!

    override func setUp() { folder = makeTemporaryDirectory("audioplane-decoder") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    private func file(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// Asserts that decoding fails with a one-line message that names the file and contains `words`.
    private func assertDecodeFails(_ url: URL, mentions words: String, line: UInt = #line) {
        XCTAssertThrowsError(try AudioDecoder.decode(url), line: line) { error in
            let text = String(describing: error)
            XCTAssertFalse(text.contains("\n"), "not one line: \(text)", line: line)
            XCTAssertTrue(text.hasPrefix(url.path), "does not name the file: \(text)", line: line)
            XCTAssertTrue(text.contains(words), "\(text) does not mention '\(words)'", line: line)
        }
    }

    /// 16 kHz 16-bit wav: native path, samples within one 16-bit step.
    func testNativeWavRoundTrip() throws {
        let tone = Fixtures.tone(440, seconds: 0.5)
        let url = file("tone.wav")
        try WavFile.write16BitMono(tone, sampleRate: 16_000, to: url)
        let audio = try AudioDecoder.decode(url)
        XCTAssertEqual(audio.route, .nativeWav)
        assertClose(audio.samples, tone, atol: 1.0 / 32767)
        XCTAssertEqual(audio.duration, 0.5)
    }

    /// A 44.1 kHz stereo 24-bit wav (made by ffmpeg) is read natively, mixed down and resampled; a
    /// 2 kHz tone stays at 2 kHz and keeps its level.
    func testNativeWavResamplesAndMixesDown() throws {
        let url = file("stereo44k.wav")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=2000:sample_rate=44100:duration=0.5",
                             "-af", "pan=stereo|c0=c0|c1=c0", "-c:a", "pcm_s24le", url.path])
        let audio = try AudioDecoder.decode(url)
        XCTAssertEqual(audio.route, .nativeWav)
        XCTAssertEqual(audio.samples.count, 8000)
        let extractor = try FeatureExtractor()
        let mel = extractor.logMel(audio.samples)
        XCTAssertEqual(Fixtures.argmax(mel.data[(10 * 32)..<(11 * 32)]), extractor.analyzer.filterBank.nearestBand(to: 2000))
        // ffmpeg's sine source has amplitude 1/8: RMS over whole periods = 0.125/√2.
        let middle = audio.samples[2000..<6000]
        let rms = (middle.map { $0 * $0 }.reduce(0, +) / Float(middle.count)).squareRoot()
        XCTAssertEqual(rms, 0.125 / Float(2).squareRoot(), accuracy: 0.002)
    }

    /// Compressed audio and a video's sound track go through ffmpeg.
    func testFFmpegDecodesCompressedAudioAndVideoSoundTracks() throws {
        let m4a = file("tone.m4a"), video = file("talk.mp4")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=1", "-c:a", "aac", m4a.path])
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc=duration=0.6:size=64x64:rate=25",
                             "-f", "lavfi", "-i", "sine=frequency=700:duration=0.6",
                             "-c:v", "mpeg4", "-c:a", "aac", "-shortest", video.path])
        let audio = try AudioDecoder.decode(m4a)
        XCTAssertEqual(audio.route, .ffmpeg)
        XCTAssertEqual(audio.duration, 1, accuracy: 0.05)
        let extractor = try FeatureExtractor()
        let mel = extractor.logMel(audio.samples)
        XCTAssertEqual(Fixtures.argmax(mel.data[(25 * 32)..<(26 * 32)]), extractor.analyzer.filterBank.nearestBand(to: 1000))
        let sound = try AudioDecoder.decode(video)
        XCTAssertEqual(sound.route, .ffmpeg)
        XCTAssertEqual(sound.duration, 0.6, accuracy: 0.08)
    }

    func testMissingFile() {
        assertDecodeFails(file("nope.wav"), mentions: "no such file")
    }

    func testFolder() {
        assertDecodeFails(folder, mentions: "folder")
    }

    func testZeroLengthWav() throws {
        let url = file("empty.wav")
        _ = FileManager.default.createFile(atPath: url.path, contents: Data())
        assertDecodeFails(url, mentions: "empty")
    }

    func testWavWithHeaderButNoSamples() throws {
        let url = file("nosamples.wav")
        try WavFile.write16BitMono([], sampleRate: 16_000, to: url)
        assertDecodeFails(url, mentions: "no audio samples")
    }

    func testTextFileRenamedWav() throws {
        let url = file("notes.wav")
        try "these are my notes, not a sound\n".write(to: url, atomically: true, encoding: .utf8)
        _ = try Fixtures.ffmpeg()
        assertDecodeFails(url, mentions: "not an audio or video file")
    }

    func testCorruptWavHeader() throws {
        let url = file("corrupt.wav")
        var bytes = WavFile.encode16BitMono(Fixtures.tone(300, seconds: 0.1), sampleRate: 16_000)
        bytes.replaceSubrange(12..<16, with: Array("junk".utf8))  // the fmt chunk loses its name
        try bytes.write(to: url)
        assertDecodeFails(url, mentions: "corrupt wav file")
    }

    func testVideoWithoutAudio() throws {
        let url = file("silent-film.mp4")
        try Fixtures.ffmpeg(["-f", "lavfi", "-i", "testsrc=duration=0.4:size=64x64:rate=25", "-c:v", "mpeg4", url.path])
        assertDecodeFails(url, mentions: "has no audio stream")
    }

    func testSilenceOnly() throws {
        let url = file("silence.wav")
        try WavFile.write16BitMono([Float](repeating: 0, count: 8000), sampleRate: 16_000, to: url)
        assertDecodeFails(url, mentions: "silent")
        XCTAssertEqual(try AudioDecoder.decode(url, options: .init(allowSilence: true)).samples.count, 8000)
    }
}
