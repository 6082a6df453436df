import DataIO
import Foundation

/// Decodes the first audio stream of any file ffmpeg can read (mp3, m4a, ogg, flac, a video's sound
/// track, …) to 16 kHz mono Float by running the `ffmpeg` command line tool:
/// `ffmpeg -nostdin -v error -i file:PATH -map 0:a:0 -ac 1 -ar 16000 -f f32le pipe:1`.
enum FFmpegDecoder {
    /// The outcome of one ffmpeg run: samples, or ffmpeg's own error text.
    enum Outcome {
        case samples([Float])
        case noAudioStream
        case failed(message: String)
    }

    /// Runs ffmpeg on `url`; `executable` is the ffmpeg path (`ExternalTool.find("ffmpeg")`).
    static func decode(_ url: URL, executable: String, sampleRate: Int) throws -> Outcome {
        let result = try ExternalTool.run(executable, [
            "-nostdin", "-hide_banner", "-v", "error",
            "-i", "file:" + url.path,
            "-map", "0:a:0", "-vn", "-sn", "-dn",
            "-ac", "1", "-ar", String(sampleRate),
            "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1",
        ])
        if result.stderr.contains("matches no streams") { return .noAudioStream }
        guard result.status == 0 else {
            return .failed(message: summarise(result.stderr, path: url.path))
        }
        let count = result.stdout.count / 4
        var samples = [Float](repeating: 0, count: count)
        result.stdout.withUnsafeBytes { raw in
            for i in 0..<count {
                samples[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
        return .samples(samples)
    }

    /// ffmpeg's first meaningful error line, without the file name it repeats, on one line.
    static func summarise(_ message: String, path: String) -> String {
        let lines = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let interesting = lines.first { !$0.hasPrefix("Error opening input file") && !$0.hasPrefix("Error opening input files") } ?? lines.first ?? "unknown error"
        var text = interesting
        for prefix in ["file:" + path + ": ", path + ": "] where text.hasPrefix(prefix) { text = String(text.dropFirst(prefix.count)) }
        return text
    }
}
