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

    /// Full path of an executable found on `PATH` (or in /usr/bin, /usr/local/bin), nil if none.
    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        for folder in folders {
            let candidate = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs ffmpeg on `url`; `executable` is the ffmpeg path.
    static func decode(_ url: URL, executable: String, sampleRate: Int) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "-nostdin", "-hide_banner", "-v", "error",
            "-i", "file:" + url.path,
            "-map", "0:a:0", "-vn", "-sn", "-dn",
            "-ac", "1", "-ar", String(sampleRate),
            "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1",
        ]
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain stderr concurrently so that neither pipe can fill up and stall ffmpeg.
        let errorBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorBox.data = stderr.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        group.wait()  // orders the write to errorBox before the read below
        process.waitUntilExit()

        let message = String(decoding: errorBox.data, as: UTF8.self)
        if message.contains("matches no streams") { return .noAudioStream }
        guard process.terminationStatus == 0 else {
            return .failed(message: summarise(message, path: url.path))
        }
        let count = output.count / 4
        var samples = [Float](repeating: 0, count: count)
        output.withUnsafeBytes { raw in
            for i in 0..<count {
                samples[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
        return .samples(samples)
    }

    /// Holds stderr bytes read on another thread; the DispatchGroup wait orders access.
    private final class DataBox: @unchecked Sendable { var data = Data() }

    /// ffmpeg's first meaningful error line, without the file name it repeats, on one line.
    static func summarise(_ message: String, path: String) -> String {
        let lines = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let interesting = lines.first { !$0.hasPrefix("Error opening input file") && !$0.hasPrefix("Error opening input files") } ?? lines.first ?? "unknown error"
        var text = interesting
        for prefix in ["file:" + path + ": ", path + ": "] where text.hasPrefix(prefix) { text = String(text.dropFirst(prefix.count)) }
        return text
    }
}
