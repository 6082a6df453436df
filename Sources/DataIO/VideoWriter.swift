import Foundation

/// Writes an H.264 mp4 by streaming raw RGB24 frames ([H, W, 3] bytes, row-major) into ffmpeg's
/// stdin through a pipe — no temporary images — with an optional sound track muxed in as AAC.
///
///     ffmpeg -f rawvideo -pix_fmt rgb24 -video_size WxH -framerate 25 -i pipe:0 [-i file:AUDIO]
///            -map 0:v:0 [-map 1:a:0 -t T] -vf scale=out_color_matrix=bt709:out_range=tv,format=yuv420p[,tpad=…]
///            -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p -colorspace bt709 (+ primaries, trc, range tags)
///            [-c:a aac -b:a 128k -ar 48000] -movflags +faststart -f mp4 file:.NAME.tmp-PID-XXXXXXXX.mp4
///
/// **Colour.** RGB is converted with the BT.709 matrix (limited range) and the stream is tagged
/// so: browsers and players assume BT.709 for untagged video, and ffmpeg's untagged default
/// (BT.601) would shift colours there. ffmpeg honours the tags when decoding (`VideoReader`).
///
/// **Duration.** With audio of T seconds the caller renders N = ⌈25·T⌉ frames
/// (`expectedFrameCount`, the same count as the audio features' windows). The output is cut at
/// exactly T (`-t T`, not `-shortest`): the last frame's overhang past T is trimmed, and if fewer
/// than N frames arrive the last one is held (`tpad`) up to T, so the video, the sound and the file
/// all last T within one frame (40 ms) whatever the caller does; `Summary.framesAppended` lets it
/// check that it gave N. Without audio the video lasts N/25 s.
///
/// **Atomicity.** ffmpeg writes a hidden temporary file in the destination folder; `finish()`
/// renames it over the destination (rename(2), atomic) only after ffmpeg exits with status 0.
/// Every failure, `cancel()`, and a writer released without `finish()` terminate ffmpeg and delete
/// the temporary file, so no partial mp4 ever sits at the destination. (A process killed by a
/// signal leaves only the hidden `.NAME.tmp-…` file behind, never a file named like the output.)
///
/// Writing into a pipe whose reader died raises SIGPIPE; the writer sets SIGPIPE to "ignore"
/// process-wide (once) so a crashed ffmpeg becomes an error naming the file, not a silent exit.
/// Not thread-safe: one writer belongs to one render job.
public final class VideoWriter {
    /// One-line errors naming the output file (or the audio file for an unusable sound track).
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case folderMissing(path: String, folder: String)
        case notWritable(path: String, folder: String)
        case isFolder(path: String)
        case badSize(path: String, width: Int, height: Int)
        case ffmpegMissing(path: String, program: String)
        case badAudio(path: String, audio: String, message: String)
        case wrongFrameSize(path: String, frame: Int, got: String, expected: String)
        case ffmpegFailed(path: String, message: String)
        case noFrames(path: String)
        case closed(path: String)
        case renameFailed(path: String, reason: String)

        public var description: String {
            switch self {
            case let .folderMissing(path, folder): return "\(path): cannot write the video: the folder \(folder) does not exist"
            case let .notWritable(path, folder): return "\(path): cannot write the video: cannot create a file in \(folder) (read-only, permission denied or disk full)"
            case let .isFolder(path): return "\(path): cannot write the video: a folder has that name"
            case let .badSize(path, w, h): return "\(path): cannot write a \(w)×\(h) video: H.264 (yuv420p) needs a positive, even width and height"
            case let .ffmpegMissing(path, program): return "\(path): cannot write the video: \(program) is not installed (scripts/setup.sh installs ffmpeg)"
            case let .badAudio(path, audio, message): return "\(audio): cannot use as the sound track of \(path): \(message)"
            case let .wrongFrameSize(path, frame, got, expected): return "\(path): frame \(frame) is \(got), the video is \(expected)"
            case let .ffmpegFailed(path, message): return "\(path): ffmpeg failed to encode the video: \(message)"
            case let .noFrames(path): return "\(path): no frames were written, so no video was made"
            case let .closed(path): return "\(path): the video writer was already finished or cancelled"
            case let .renameFailed(path, reason): return "\(path): cannot move the finished video into place: \(reason)"
            }
        }
    }

    /// What `finish()` produced.
    public struct Summary: Equatable, Sendable {
        public var url: URL
        /// Frames the caller appended (the file holds `expectedFrameCount` when there is audio).
        public var framesAppended: Int
        /// ⌈fps·T⌉ with audio of T seconds; nil without audio.
        public var expectedFrameCount: Int?
        /// T with audio, framesAppended / fps without.
        public var duration: Double
    }

    public let url: URL
    public let width: Int
    public let height: Int
    public let settings: VideoEncodingSettings
    /// Seconds of the sound track (given or measured with ffprobe); nil without audio.
    public let audioDuration: Double?
    /// ⌈fps·T⌉ with audio; nil without.
    public var expectedFrameCount: Int? { audioDuration.map { settings.frameCount(forDuration: $0) } }
    /// Frames appended so far.
    public private(set) var framesAppended = 0

    let temporaryURL: URL
    private let process: Process
    private let stdin: FileHandle
    private let stderr: StderrCollector
    private var bytes: [UInt8]  // conversion buffer for Float frames, [H, W, 3]
    private var open = true

    /// Starts ffmpeg for a `width`×`height` video at `url`, with `audio` (any file ffmpeg reads)
    /// muxed in when given. `audioDuration` (seconds) overrides the ffprobe measurement — pass
    /// samples / rate when the caller decoded the audio itself, so frames and cut agree exactly.
    /// Throws when the folder is missing or read-only, the size is odd, ffmpeg is missing, or the
    /// audio cannot be read.
    public init(url: URL, width: Int, height: Int, audio: URL? = nil, audioDuration: Double? = nil,
                settings: VideoEncodingSettings = VideoEncodingSettings()) throws {
        self.url = url; self.width = width; self.height = height; self.settings = settings
        let path = url.path
        guard width > 0, height > 0, width % 2 == 0, height % 2 == 0 else { throw Error.badSize(path: path, width: width, height: height) }
        let folder = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Error.folderMissing(path: path, folder: folder.path)
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { throw Error.isFolder(path: path) }
        guard let ffmpeg = ExternalTool.find(settings.ffmpeg) else { throw Error.ffmpegMissing(path: path, program: settings.ffmpeg) }

        var duration = audioDuration
        if let audio {
            if duration == nil {
                do {
                    let info = try MediaProbe.probe(audio, ffprobe: settings.ffprobe)
                    guard let stream = info.audio else { throw Error.badAudio(path: path, audio: audio.path, message: "it has no audio stream") }
                    duration = stream.duration ?? info.duration
                } catch let error as MediaProbe.Error {
                    throw Error.badAudio(path: path, audio: audio.path, message: Self.reason(error, path: audio.path))
                }
            }
            guard let d = duration, d.isFinite, d > 0 else {
                throw Error.badAudio(path: path, audio: audio.path, message: "its duration is unknown or zero")
            }
        }
        self.audioDuration = audio == nil ? nil : duration

        // Claim the temporary name ourselves: this is also the writability check (access(2) says
        // "writable" to root even on a read-only mount; creating a file tells the truth).
        temporaryURL = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UUID().uuidString.prefix(8)).mp4")
        guard FileManager.default.createFile(atPath: temporaryURL.path, contents: nil) else {
            throw Error.notWritable(path: path, folder: folder.path)
        }

        Self.ignoreSIGPIPE
        process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = Self.arguments(width: width, height: height, audio: audio, audioDuration: audio == nil ? nil : duration,
                                           settings: settings, output: temporaryURL)
        let pipe = Pipe()
        process.standardInput = pipe
        process.standardOutput = FileHandle.nullDevice
        stderr = StderrCollector(process)
        stdin = pipe.fileHandleForWriting
        bytes = []
        do { try process.run() } catch {
            open = false  // nothing to cancel in deinit
            stderr.abandon()
            try? FileManager.default.removeItem(at: temporaryURL)
            throw Error.ffmpegFailed(path: path, message: "cannot start \(ffmpeg): \(error.localizedDescription)")
        }
    }

    deinit { cancel() }

    /// The ffmpeg command line (after the program name) for these inputs.
    static func arguments(width: Int, height: Int, audio: URL?, audioDuration: Double?,
                          settings: VideoEncodingSettings, output: URL) -> [String] {
        var a = ["-hide_banner", "-loglevel", "error",
                 "-f", "rawvideo", "-pix_fmt", "rgb24", "-video_size", "\(width)x\(height)",
                 "-framerate", String(settings.fps), "-i", "pipe:0"]
        if let audio { a += ["-i", "file:" + audio.path] }
        a += ["-map", "0:v:0"]
        var filters = "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
        if audio != nil, let t = audioDuration {
            filters += ",tpad=stop_mode=clone:stop=-1"
            a += ["-map", "1:a:0", "-t", String(format: "%.6f", t)]
        }
        a += ["-vf", filters, "-c:v", "libx264", "-preset", settings.preset, "-crf", String(settings.crf), "-pix_fmt", "yuv420p",
              "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
        if audio != nil {
            a += ["-c:a", "aac", "-b:a", "\(settings.audioBitrateKbps)k", "-ar", String(settings.audioSampleRate)]
        }
        a += ["-movflags", "+faststart", "-f", "mp4", "-y", "file:" + output.path]
        return a
    }

    /// Appends one RGB frame (`channels` must be 3, size `width`×`height`).
    public func append(_ frame: Image8) throws {
        guard frame.width == width, frame.height == height, frame.channels == 3 else {
            throw Error.wrongFrameSize(path: url.path, frame: framesAppended, got: "\(frame.width)×\(frame.height)×\(frame.channels)",
                                       expected: "\(width)×\(height)×3")
        }
        try frame.pixels.withUnsafeBytes { try append(rgbBytes: $0) }
    }

    /// Appends one frame of Floats in [0, 1], `[H, W, 3]` (clamped, rounded to 8 bits; NaN → 0).
    public func append(rgbFloats frame: [Float]) throws {
        guard frame.count == width * height * 3 else {
            throw Error.wrongFrameSize(path: url.path, frame: framesAppended, got: "\(frame.count) floats",
                                       expected: "\(width)×\(height)×3 = \(width * height * 3) floats")
        }
        if bytes.count != frame.count { bytes = [UInt8](repeating: 0, count: frame.count) }
        frame.withUnsafeBufferPointer { src in bytes.withUnsafeMutableBufferPointer { dst in
            for i in 0..<src.count {
                let v = src[i]
                dst[i] = UInt8((v.isNaN ? 0 : min(max(v, 0), 1) * 255).rounded())
            }
        } }
        try bytes.withUnsafeBytes { try append(rgbBytes: $0) }
    }

    /// Appends one frame of raw RGB24 bytes, `[H, W, 3]` row-major (exactly W·H·3 bytes).
    public func append(rgbBytes frame: UnsafeRawBufferPointer) throws {
        guard open else { throw Error.closed(path: url.path) }
        guard frame.count == width * height * 3 else {
            throw Error.wrongFrameSize(path: url.path, frame: framesAppended, got: "\(frame.count) bytes",
                                       expected: "\(width)×\(height)×3 = \(width * height * 3) bytes")
        }
        var offset = 0
        while offset < frame.count {
            let n = write(stdin.fileDescriptor, frame.baseAddress! + offset, frame.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw failAndCleanUp()  // EPIPE: ffmpeg exited (bad audio, disk full, crash)
            }
            offset += n
        }
        framesAppended += 1
    }

    /// Ends the stream, waits for ffmpeg and moves the finished file to `url` (replacing any file
    /// there). On any failure the temporary file is deleted and nothing is left at `url`.
    @discardableResult
    public func finish() throws -> Summary {
        guard open else { throw Error.closed(path: url.path) }
        guard framesAppended > 0 else { cancel(); throw Error.noFrames(path: url.path) }
        open = false
        try? stdin.close()
        process.waitUntilExit()
        let message = stderr.text()
        guard process.terminationStatus == 0, process.terminationReason == .exit else {
            try? FileManager.default.removeItem(at: temporaryURL)
            throw Error.ffmpegFailed(path: url.path, message: ExternalTool.lastLine(message))
        }
        if rename(temporaryURL.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporaryURL)
            throw Error.renameFailed(path: url.path, reason: reason)
        }
        return Summary(url: url, framesAppended: framesAppended, expectedFrameCount: expectedFrameCount,
                       duration: audioDuration ?? Double(framesAppended) / Double(settings.fps))
    }

    /// Stops ffmpeg and deletes the temporary file; nothing is written to `url`. Safe to call
    /// more than once, and after a failure.
    public func cancel() {
        guard open else { return }
        open = false
        try? stdin.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        _ = stderr.text()
        try? FileManager.default.removeItem(at: temporaryURL)
    }

    /// After a failed write: wait for ffmpeg, delete the temporary file, return ffmpeg's last line.
    private func failAndCleanUp() -> Error {
        open = false
        try? stdin.close()
        process.waitUntilExit()
        let message = ExternalTool.lastLine(stderr.text())
        try? FileManager.default.removeItem(at: temporaryURL)
        return Error.ffmpegFailed(path: url.path, message: message)
    }

    /// A probe error's message without the file name it starts with.
    private static func reason(_ error: MediaProbe.Error, path: String) -> String {
        let text = error.description
        return text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text
    }

    /// Runs once: SIGPIPE ignored process-wide, so writes to a dead ffmpeg fail with EPIPE.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()
}
