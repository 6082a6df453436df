import Foundation

/// Decodes a video's frames to RGB24 `Image8`s ([H, W, 3]) one at a time through ffmpeg:
///
///     ffmpeg -i file:PATH -map 0:v:0 [-vf fps=F] -f rawvideo -pix_fmt rgb24 pipe:1
///
/// Frames come at the file's own rate (or resampled to `fps`, duplicating/dropping frames as
/// ffmpeg's `fps` filter does) and with the display rotation applied (ffmpeg auto-rotates, so a
/// portrait phone video of 1920×1080 coded size gives 1080×1920 frames). Memory: one frame at a time.
public final class VideoReader {
    /// One-line errors naming the file.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case noVideoStream(path: String)
        case ffmpegMissing(path: String)
        case ffmpegFailed(path: String, message: String)
        case truncatedFrame(path: String, frame: Int)

        public var description: String {
            switch self {
            case .noVideoStream(let path): return "\(path): has no video stream"
            case .ffmpegMissing(let path): return "\(path): cannot read the video: ffmpeg is not installed (scripts/setup.sh installs ffmpeg)"
            case let .ffmpegFailed(path, message): return "\(path): ffmpeg failed to decode the video: \(message)"
            case let .truncatedFrame(path, frame): return "\(path): ffmpeg stopped in the middle of frame \(frame)"
            }
        }
    }

    public let url: URL
    /// ffprobe's description of the file.
    public let info: MediaInfo
    /// Size of the frames returned (after rotation).
    public let width: Int
    public let height: Int
    /// Frames returned so far.
    public private(set) var framesRead = 0

    private let process: Process
    private let stdout: FileHandle
    private let stderr: StderrCollector
    private var done = false

    /// Probes `url` and starts decoding. `fps` resamples the frame rate (nil: the file's own).
    public init(url: URL, fps: Double? = nil, ffmpeg: String = "ffmpeg", ffprobe: String = "ffprobe") throws {
        self.url = url
        info = try MediaProbe.probe(url, ffprobe: ffprobe)
        guard let video = info.video, video.width > 0, video.height > 0 else { throw Error.noVideoStream(path: url.path) }
        width = video.displayWidth; height = video.displayHeight
        guard let tool = ExternalTool.find(ffmpeg) else { throw Error.ffmpegMissing(path: url.path) }
        process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        var arguments = ["-nostdin", "-hide_banner", "-loglevel", "error", "-i", "file:" + url.path, "-map", "0:v:0"]
        if let fps { arguments += ["-vf", "fps=\(fps)"] }
        arguments += ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        stderr = StderrCollector(process)
        stdout = pipe.fileHandleForReading
        do { try process.run() } catch {
            done = true
            stderr.abandon()
            throw Error.ffmpegFailed(path: url.path, message: "cannot start \(tool): \(error.localizedDescription)")
        }
    }

    deinit { close() }

    /// The next frame, or nil after the last. Throws when ffmpeg fails or stops mid-frame.
    public func next() throws -> Image8? {
        guard !done else { return nil }
        let count = width * height * 3
        var pixels = [UInt8](repeating: 0, count: count)
        let got = pixels.withUnsafeMutableBytes { buffer -> Int in
            var offset = 0
            while offset < count {
                let n = read(stdout.fileDescriptor, buffer.baseAddress! + offset, count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                offset += n
            }
            return offset
        }
        if got == count {
            framesRead += 1
            return Image8(width: width, height: height, channels: 3, pixels: pixels)
        }
        done = true
        process.waitUntilExit()
        let message = stderr.text()
        guard process.terminationStatus == 0, process.terminationReason == .exit else {
            throw Error.ffmpegFailed(path: url.path, message: ExternalTool.lastLine(message))
        }
        if got > 0 { throw Error.truncatedFrame(path: url.path, frame: framesRead) }
        return nil
    }

    /// Stops decoding early (terminates ffmpeg). Safe to call more than once.
    public func close() {
        guard !done else { return }
        done = true
        try? stdout.close()  // ffmpeg's next write fails and it exits
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        _ = stderr.text()
    }

    /// Every frame of `url` (mind the memory: W·H·3 bytes each).
    public static func readAll(_ url: URL, fps: Double? = nil) throws -> [Image8] {
        let reader = try VideoReader(url: url, fps: fps)
        var frames: [Image8] = []
        while let frame = try reader.next() { frames.append(frame) }
        return frames
    }
}
