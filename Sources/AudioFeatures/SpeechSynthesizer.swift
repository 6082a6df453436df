import CEspeakNG
import Foundation

/// One phoneme of synthesized speech, as espeak-ng reports it (its phoneme mnemonics, e.g. `h`, `@`,
/// `oU`; `_` and `_:` are pauses), with the time span it occupies in the 16 kHz audio.
public struct PhonemeEvent: Codable, Equatable, Sendable {
    /// espeak-ng phoneme name (≤ 8 bytes of UTF-8).
    public var phoneme: String
    /// Start and end in milliseconds from the start of the audio; `end` is the next event's start
    /// (the audio's duration for the last one), so events tile `[0, duration]` in order.
    public var startMs: Int
    public var endMs: Int

    public init(phoneme: String, startMs: Int, endMs: Int) {
        self.phoneme = phoneme
        self.startMs = startMs
        self.endMs = endMs
    }
}

/// Speech made from text: samples plus the phoneme timeline.
public struct SynthesizedSpeech: Sendable {
    /// `[S]` mono Float in [-1, 1] at `sampleRate` (16 kHz).
    public var samples: [Float]
    public var sampleRate: Int
    /// Ordered, non-overlapping, first starts at 0, last ends at `durationMs`.
    public var phonemes: [PhonemeEvent]
    public var voice: String
    /// `⌊S · 1000 / sampleRate⌋`.
    public var durationMs: Int { samples.count * 1000 / sampleRate }

    /// The phoneme file `audioplane say --phonemes` writes.
    public struct PhonemeFile: Codable, Equatable, Sendable {
        public var voice: String
        public var sampleRate: Int
        public var durationMs: Int
        public var phonemes: [PhonemeEvent]
    }

    /// `{"voice", "sampleRate", "durationMs", "phonemes": [{"phoneme", "startMs", "endMs"}]}` as
    /// pretty-printed JSON with sorted keys.
    public func phonemeJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(PhonemeFile(voice: voice, sampleRate: sampleRate, durationMs: durationMs, phonemes: phonemes))
    }
}

/// Text to speech through espeak-ng's C API (synchronous mode, phoneme events on), resampled from
/// espeak's 22.05 kHz to 16 kHz with `Resampler`.
///
/// espeak-ng keeps global state, so calls are serialised by a lock; it is safe to call from any thread.
/// A leading `_` event is added when espeak's first phoneme starts after 0 ms (its initial silence),
/// and zero-length events (espeak reports the closing pause at the very end) are dropped.
public enum SpeechSynthesizer {
    /// A problem with a synthesis request; `description` is one line.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case initialisationFailed
        case unknownVoice(String)
        case emptyText
        case synthesisFailed(String)

        public var description: String {
            switch self {
            case .initialisationFailed:
                return "espeak-ng could not start (is espeak-ng-data installed? run scripts/setup.sh)"
            case .unknownVoice(let name):
                return "unknown espeak-ng voice '\(name)' (e.g. en-us, de, fr, cmn-latn-pinyin; `espeak-ng --voices` lists all)"
            case .emptyText: return "text to speak is empty"
            case .synthesisFailed(let why): return "espeak-ng failed: \(why)"
            }
        }
    }

    public struct Options: Sendable {
        /// espeak-ng voice name, e.g. `en-us`, `de`, `fr`, `cmn-latn-pinyin`.
        public var voice: String = "en-us"
        /// Speaking rate in words per minute (espeak's default 175; 80…450).
        public var wordsPerMinute: Int = 175
        /// Output sample rate in Hz.
        public var sampleRate: Int = 16_000
        public init(voice: String = "en-us", wordsPerMinute: Int = 175, sampleRate: Int = 16_000) {
            self.voice = voice
            self.wordsPerMinute = wordsPerMinute
            self.sampleRate = sampleRate
        }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var engineRate: Int32 = 0

    /// Collects audio and phoneme events from espeak's callback (reached through `user_data`).
    private final class Collector {
        var samples: [Int16] = []
        var phonemes: [(name: String, ms: Int)] = []
    }

    /// Synthesizes `text`; returns 16 kHz samples and the phoneme timeline.
    public static func synthesize(_ text: String, options: Options = Options()) throws -> SynthesizedSpeech {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw Error.emptyText }
        lock.lock(); defer { lock.unlock() }
        let nativeRate = try startEngine()
        guard espeak_ng_SetVoiceByName(options.voice) == ENS_OK else { throw Error.unknownVoice(options.voice) }
        _ = espeak_ng_SetParameter(espeakRATE, Int32(options.wordsPerMinute), 0)

        let collector = Collector()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        let status: espeak_ng_STATUS = withExtendedLifetime(collector) {
            text.withCString { cText in
                espeak_ng_Synthesize(cText, strlen(cText) + 1, 0, POS_CHARACTER, 0,
                                     UInt32(espeakCHARS_UTF8), nil, context)
            }
        }
        guard status == ENS_OK else { throw Error.synthesisFailed(statusMessage(status)) }
        _ = espeak_ng_Synchronize()

        let raw = collector.samples.map { Float($0) / 32768 }
        guard let resampler = Resampler(from: Int(nativeRate), to: options.sampleRate) else {
            throw Error.synthesisFailed("cannot resample \(nativeRate) Hz to \(options.sampleRate) Hz")
        }
        let samples = resampler.resample(raw)
        let durationMs = samples.count * 1000 / options.sampleRate
        return SynthesizedSpeech(samples: samples, sampleRate: options.sampleRate,
                                 phonemes: timeline(collector.phonemes, durationMs: durationMs), voice: options.voice)
    }

    /// Turns espeak's (name, start ms) list into ordered spans tiling `[0, durationMs]`.
    static func timeline(_ events: [(name: String, ms: Int)], durationMs: Int) -> [PhonemeEvent] {
        var starts = events.filter { $0.ms < durationMs }.sorted { $0.ms < $1.ms }  // sort is stable enough: espeak reports in order
        if starts.first.map({ $0.ms > 0 }) ?? true { starts.insert((name: "_", ms: 0), at: 0) }
        var out: [PhonemeEvent] = []
        for (k, event) in starts.enumerated() {
            let end = k + 1 < starts.count ? starts[k + 1].ms : durationMs
            if end > event.ms { out.append(PhonemeEvent(phoneme: event.name.isEmpty ? "_" : event.name, startMs: event.ms, endMs: end)) }
        }
        return out
    }

    /// Starts espeak-ng once (synchronous output, phoneme events with espeak mnemonics); returns its
    /// native sample rate (22050 Hz). Call with `lock` held.
    private static func startEngine() throws -> Int32 {
        if engineRate > 0 { return engineRate }
        let options = Int32(espeakINITIALIZE_PHONEME_EVENTS) | Int32(espeakINITIALIZE_DONT_EXIT)
        let rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nil, options)
        guard rate > 0 else { throw Error.initialisationFailed }
        espeak_SetSynthCallback { wav, count, events in
            guard let events else { return 0 }
            var event = events
            while event.pointee.type != espeakEVENT_LIST_TERMINATED {
                if let user = event.pointee.user_data {
                    let collector = Unmanaged<Collector>.fromOpaque(user).takeUnretainedValue()
                    if event.pointee.type == espeakEVENT_PHONEME {
                        var name = event.pointee.id.string
                        let text = withUnsafeBytes(of: &name) { bytes in
                            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                        }
                        collector.phonemes.append((name: text, ms: Int(event.pointee.audio_position)))
                    }
                }
                event += 1
            }
            if let wav, count > 0, let user = events.pointee.user_data {
                let collector = Unmanaged<Collector>.fromOpaque(user).takeUnretainedValue()
                collector.samples.append(contentsOf: UnsafeBufferPointer(start: wav, count: Int(count)))
            }
            return 0  // continue synthesis
        }
        engineRate = rate
        return rate
    }

    private static func statusMessage(_ status: espeak_ng_STATUS) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        espeak_ng_GetStatusCodeMessage(status, &buffer, buffer.count)
        return String(cString: buffer)
    }
}
