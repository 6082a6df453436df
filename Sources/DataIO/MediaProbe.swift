import Foundation

/// What `ffprobe` says about a media file: container duration and the first video and audio
/// streams. Runs `ffprobe -v error -print_format json -show_format -show_streams file:PATH`.
/// Durations are seconds; `fps` is the video stream's `avg_frame_rate` (falling back to
/// `r_frame_rate`) as a number.
public struct MediaInfo: Equatable, Sendable {
    public struct Video: Equatable, Sendable {
        public var codec: String
        public var width: Int
        public var height: Int
        public var fps: Double
        /// Seconds, nil when the container does not say.
        public var duration: Double?
        /// `nb_frames`, nil when the container does not say.
        public var frameCount: Int?
        public var pixelFormat: String?
        /// Display rotation in degrees (phone videos: side data or the `rotate` tag), 0 if none.
        public var rotation: Int = 0
        /// The size of decoded frames: ffmpeg applies the rotation, so ±90° swaps width and height.
        public var displayWidth: Int { rotation % 180 == 0 ? width : height }
        public var displayHeight: Int { rotation % 180 == 0 ? height : width }
    }
    public struct Audio: Equatable, Sendable {
        public var codec: String
        public var sampleRate: Int
        public var channels: Int
        /// Seconds, nil when the container does not say.
        public var duration: Double?
    }

    /// `format.duration` in seconds (the longest stream), nil when unknown.
    public var duration: Double?
    /// `format.format_name`, e.g. "mov,mp4,m4a,3gp,3g2,mj2" or "wav".
    public var formatName: String
    public var video: Video?
    public var audio: Audio?
    public var hasAudio: Bool { audio != nil }
}

public enum MediaProbe {
    /// One-line errors naming the file.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case toolMissing(path: String)
        case unreadable(path: String, message: String)
        case badOutput(path: String)

        public var description: String {
            switch self {
            case .toolMissing(let path): return "\(path): cannot inspect the file: ffprobe is not installed (scripts/setup.sh installs ffmpeg)"
            case .unreadable(let path, let message): return "\(path): cannot read the media file: \(message)"
            case .badOutput(let path): return "\(path): ffprobe printed output that is not the expected JSON"
            }
        }
    }

    /// Probes `url`. `ffprobe` is the tool's name or path.
    public static func probe(_ url: URL, ffprobe: String = "ffprobe") throws -> MediaInfo {
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw Error.unreadable(path: url.path, message: "no such file or no permission")
        }
        guard let tool = ExternalTool.find(ffprobe) else { throw Error.toolMissing(path: url.path) }
        let result = try ExternalTool.run(tool, ["-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                                                 "file:" + url.path])
        guard result.status == 0 else {
            throw Error.unreadable(path: url.path, message: ExternalTool.lastLine(result.stderr))
        }
        return try parse(result.stdout, path: url.path)
    }

    /// Parses ffprobe's JSON (`-show_format -show_streams`).
    public static func parse(_ json: Data, path: String) throws -> MediaInfo {
        guard let top = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else { throw Error.badOutput(path: path) }
        let format = top["format"] as? [String: Any] ?? [:]
        let streams = top["streams"] as? [[String: Any]] ?? []
        guard !format.isEmpty || !streams.isEmpty else {
            throw Error.unreadable(path: path, message: "no streams (not a media file)")
        }
        var info = MediaInfo(duration: number(format["duration"]), formatName: format["format_name"] as? String ?? "")
        for stream in streams {
            let codec = stream["codec_name"] as? String ?? "unknown"
            switch stream["codec_type"] as? String {
            case "video" where info.video == nil:
                // Cover art in audio files is a one-picture "video" stream: not a video.
                if let disposition = stream["disposition"] as? [String: Any], number(disposition["attached_pic"]) == 1 { continue }
                let fps = rate(stream["avg_frame_rate"]) ?? rate(stream["r_frame_rate"]) ?? 0
                info.video = .init(codec: codec, width: Int(number(stream["width"]) ?? 0), height: Int(number(stream["height"]) ?? 0),
                                   fps: fps, duration: number(stream["duration"]),
                                   frameCount: number(stream["nb_frames"]).map { Int($0) },
                                   pixelFormat: stream["pix_fmt"] as? String, rotation: rotation(of: stream))
            case "audio" where info.audio == nil:
                info.audio = .init(codec: codec, sampleRate: Int(number(stream["sample_rate"]) ?? 0),
                                   channels: Int(number(stream["channels"]) ?? 0), duration: number(stream["duration"]))
            default: continue
            }
        }
        return info
    }

    /// ffprobe prints most numbers as strings ("1.370000"); accept both.
    static func number(_ value: Any?) -> Double? {
        if let s = value as? String { return Double(s) }
        if let n = value as? NSNumber { return n.doubleValue }
        return nil
    }

    /// Rotation from `side_data_list[].rotation` or `tags.rotate`, normalised to 0, 90, 180, 270.
    static func rotation(of stream: [String: Any]) -> Int {
        var degrees: Double?
        for side in stream["side_data_list"] as? [[String: Any]] ?? [] { if let r = number(side["rotation"]) { degrees = r } }
        if degrees == nil, let tags = stream["tags"] as? [String: Any] { degrees = number(tags["rotate"]) }
        let d = Int((degrees ?? 0).rounded())
        return ((d % 360) + 360) % 360
    }

    /// "25/1" → 25; nil for "0/0" or garbage.
    static func rate(_ value: Any?) -> Double? {
        guard let s = value as? String else { return nil }
        let parts = s.split(separator: "/")
        guard parts.count == 2, let n = Double(parts[0]), let d = Double(parts[1]), d > 0, n > 0 else { return nil }
        return n / d
    }
}
