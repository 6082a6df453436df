@testable import AudioFeatures
import XCTest

final class SpeechSynthesizerTests: XCTestCase {
    /// Events are ordered, tile [0, duration] (first starts at 0, each ends where the next starts,
    /// last ends at the duration), and there is real speech in the audio.
    private func assertWellFormed(_ speech: SynthesizedSpeech, line: UInt = #line) {
        let events = speech.phonemes
        XCTAssertEqual(speech.sampleRate, 16_000, line: line)
        XCTAssertGreaterThan(events.count, 3, line: line)
        XCTAssertEqual(events.first?.startMs, 0, line: line)
        XCTAssertEqual(events.last?.endMs, speech.durationMs, line: line)
        for (k, event) in events.enumerated() {
            XCTAssertLessThan(event.startMs, event.endMs, "event \(k) \(event)", line: line)
            XCTAssertLessThanOrEqual(event.endMs, speech.durationMs, line: line)
            if k > 0 { XCTAssertEqual(event.startMs, events[k - 1].endMs, "event \(k)", line: line) }
            XCTAssertFalse(event.phoneme.isEmpty, line: line)
        }
        let peak = speech.samples.map(abs).max() ?? 0
        XCTAssertGreaterThan(peak, 0.05, "no audible speech", line: line)
        XCTAssertLessThanOrEqual(peak, 1, line: line)
    }

    func testEnglishPhonemeTimeline() throws {
        let speech = try SpeechSynthesizer.synthesize("Hello there. How are you today?")
        assertWellFormed(speech)
        XCTAssertEqual(speech.voice, "en-us")
        XCTAssertEqual(speech.durationMs, 1893, accuracy: 150)  // espeak-ng 1.51 at 175 wpm
        let names = speech.phonemes.map(\.phoneme)
        XCTAssertEqual(Array(names.prefix(5)), ["_", "h", "@", "l", "oU"])
        // The second sentence's phonemes continue the same clock.
        XCTAssertGreaterThan(speech.phonemes.filter { $0.phoneme == "h" }.count, 1)
    }

    func testVoices() throws {
        for (voice, text) in [("en-us", "Good morning"), ("de", "Guten Morgen, wie geht es dir?"),
                              ("fr", "Bonjour, comment allez-vous?"), ("cmn-latn-pinyin", "ni3 hao3, zao3 shang4 hao3")] {
            let speech = try SpeechSynthesizer.synthesize(text, options: .init(voice: voice))
            assertWellFormed(speech)
            XCTAssertGreaterThan(speech.durationMs, 400, voice)
        }
    }

    /// Faster speech is shorter; the timeline still tiles the audio.
    func testRate() throws {
        let slow = try SpeechSynthesizer.synthesize("one two three four", options: .init(wordsPerMinute: 120))
        let fast = try SpeechSynthesizer.synthesize("one two three four", options: .init(wordsPerMinute: 300))
        assertWellFormed(slow)
        assertWellFormed(fast)
        XCTAssertLessThan(Double(fast.durationMs), 0.7 * Double(slow.durationMs))
    }

    /// Speech features have the video-frame count of the speech duration and are not silence.
    func testSpeechFeatures() throws {
        let speech = try SpeechSynthesizer.synthesize("The quick brown fox jumps over the lazy dog.")
        let features = try FeatureExtractor().features(speech.samples)
        XCTAssertEqual(features.shape, [(speech.samples.count + 639) / 640, 16, 32])
        XCTAssertGreaterThan(features.data.max()!, 0.5)
    }

    func testUnknownVoice() {
        XCTAssertThrowsError(try SpeechSynthesizer.synthesize("hello", options: .init(voice: "klingon-xx"))) { error in
            XCTAssertEqual(error as? SpeechSynthesizer.Error, .unknownVoice("klingon-xx"))
            XCTAssertFalse(String(describing: error).contains("\n"))
        }
        // The engine still works afterwards.
        XCTAssertNoThrow(try SpeechSynthesizer.synthesize("hello"))
    }

    func testEmptyText() {
        XCTAssertThrowsError(try SpeechSynthesizer.synthesize("  \n")) { error in
            XCTAssertEqual(error as? SpeechSynthesizer.Error, .emptyText)
        }
    }

    func testPhonemeJSON() throws {
        let speech = try SpeechSynthesizer.synthesize("Hi")
        let file = try JSONDecoder().decode(SynthesizedSpeech.PhonemeFile.self, from: speech.phonemeJSON())
        XCTAssertEqual(file.phonemes, speech.phonemes)
        XCTAssertEqual(file.durationMs, speech.durationMs)
        XCTAssertEqual(file.sampleRate, 16_000)
    }

    func testTimelineFromRawEvents() {
        let events = SpeechSynthesizer.timeline([(name: "h", ms: 11), (name: "aI", ms: 73), (name: "", ms: 300), (name: "_", ms: 338)], durationMs: 338)
        XCTAssertEqual(events, [PhonemeEvent(phoneme: "_", startMs: 0, endMs: 11), PhonemeEvent(phoneme: "h", startMs: 11, endMs: 73),
                                PhonemeEvent(phoneme: "aI", startMs: 73, endMs: 300), PhonemeEvent(phoneme: "_", startMs: 300, endMs: 338)])
    }
}
