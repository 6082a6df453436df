import Foundation

/// The format fields of a RIFF/WAVE file, read from its header only (dataset checks: sample rate,
/// channel count and duration of `aud.wav`). Decoding samples belongs to `AudioFeatures`.
public struct WavHeader: Equatable, Sendable {
    public var sampleRate: Int
    public var channels: Int
    public var bitsPerSample: Int
    /// Sample frames (per channel) in the `data` chunk.
    public var frameCount: Int
    public var duration: Double { Double(frameCount) / Double(max(sampleRate, 1)) }

    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case unreadable(String)
        case notWav(String, String)
        public var description: String {
            switch self {
            case .unreadable(let f): return "\(f): cannot read the file (missing or no permission)"
            case .notWav(let f, let why): return "\(f): not a usable WAVE file: \(why)"
            }
        }
    }

    public static func read(_ url: URL) throws -> WavHeader {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw Error.unreadable(url.path) }
        let b = [UInt8](data)
        func u32(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24 }
        func u16(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        guard b.count >= 12, b[0..<4].elementsEqual("RIFF".utf8), b[8..<12].elementsEqual("WAVE".utf8) else {
            throw Error.notWav(url.path, "no RIFF/WAVE header")
        }
        var pos = 12
        var format: (rate: Int, channels: Int, bits: Int)?
        while pos + 8 <= b.count {
            let id = String(decoding: b[pos..<(pos + 4)], as: UTF8.self), size = u32(pos + 4)
            let body = pos + 8
            if id == "fmt ", body + 16 <= b.count {
                format = (u32(body + 4), u16(body + 2), u16(body + 14))
            } else if id == "data" {
                guard let f = format else { throw Error.notWav(url.path, "data chunk before fmt chunk") }
                guard f.channels > 0, f.bits > 0, f.rate > 0 else { throw Error.notWav(url.path, "bad fmt chunk") }
                let available = min(size, b.count - body)
                return WavHeader(sampleRate: f.rate, channels: f.channels, bitsPerSample: f.bits,
                                 frameCount: available / (f.channels * f.bits / 8))
            }
            pos = body + size + (size & 1)
        }
        throw Error.notWav(url.path, "no data chunk")
    }
}
