import DataIO
import Foundation

/// RIFF/WAVE reading (the native fast path for PCM and float wav) and 16-bit PCM writing.
///
/// Reads format 1 (PCM: 8-bit unsigned, 16/24/32-bit signed), format 3 (IEEE float 32/64) and
/// WAVE_FORMAT_EXTENSIBLE with either sub-format; channels are averaged to mono; samples are Float
/// in [-1, 1]. Other encodings (µ-law, ADPCM, …) return nil from `read` so the caller can use ffmpeg.
public enum WavFile {
    /// A problem with one wav file; `description` is one line naming the file.
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case corrupt(path: String, detail: String)
        case cannotWrite(path: String, reason: String)

        public var description: String {
            switch self {
            case let .corrupt(path, detail): return "\(path): corrupt wav file: \(detail)"
            case let .cannotWrite(path, reason): return "\(path): cannot write wav file: \(reason)"
            }
        }
    }

    /// Mono samples of a wav file at its own rate.
    public struct Contents: Sendable {
        /// `[S]` Float in [-1, 1], channels averaged.
        public var samples: [Float]
        public var sampleRate: Int
        public var channels: Int
    }

    /// True when `data` starts like a RIFF/WAVE file.
    public static func looksLikeWav(_ data: Data) -> Bool {
        data.count >= 12 && data.prefix(4).elementsEqual("RIFF".utf8) && data.dropFirst(8).prefix(4).elementsEqual("WAVE".utf8)
    }

    /// Parses a RIFF/WAVE file. Returns nil when the encoding is not one we decode natively; throws
    /// `Error.corrupt` for a malformed header. A data chunk longer than the file (as written by
    /// streaming encoders) is read up to the last whole frame.
    public static func read(_ data: Data, path: String) throws -> Contents? {
        guard looksLikeWav(data) else { throw Error.corrupt(path: path, detail: "missing RIFF/WAVE header") }
        let bytes = [UInt8](data)
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }

        var format = 0, channels = 0, rate = 0, bits = 0, blockAlign = 0
        var dataRange: Range<Int>?
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt " {
                guard size >= 16, body + 16 <= bytes.count else { throw Error.corrupt(path: path, detail: "fmt chunk too short") }
                format = u16(body); channels = u16(body + 2); rate = u32(body + 4)
                blockAlign = u16(body + 12); bits = u16(body + 14)
                if format == 0xFFFE {
                    guard size >= 40, body + 26 <= bytes.count else { throw Error.corrupt(path: path, detail: "extensible fmt chunk too short") }
                    format = u16(body + 24)  // first two bytes of the sub-format GUID
                }
            } else if id == "data" {
                dataRange = body..<min(bytes.count, body + size)
                break
            }
            offset = body + size + (size & 1)
        }
        guard format != 0 || channels != 0 else { throw Error.corrupt(path: path, detail: "no fmt chunk before the data") }
        guard let dataRange else { throw Error.corrupt(path: path, detail: "no data chunk") }
        guard channels > 0, rate > 0 else { throw Error.corrupt(path: path, detail: "fmt chunk says \(channels) channels at \(rate) Hz") }
        let bytesPerSample = bits / 8
        let natively: Bool
        switch (format, bits) {
        case (1, 8), (1, 16), (1, 24), (1, 32), (3, 32), (3, 64): natively = true
        default: natively = false
        }
        guard natively else { return nil }
        guard blockAlign == bytesPerSample * channels else {
            throw Error.corrupt(path: path, detail: "block align \(blockAlign) does not match \(channels) × \(bits)-bit samples")
        }
        let frames = dataRange.count / blockAlign
        var samples = [Float](repeating: 0, count: frames)
        let scale = 1 / Float(channels)
        bytes.withUnsafeBytes { raw in
            let base = dataRange.lowerBound
            for f in 0..<frames {
                var sum: Float = 0
                for c in 0..<channels {
                    let o = base + f * blockAlign + c * bytesPerSample
                    switch (format, bits) {
                    case (1, 8): sum += (Float(raw[o]) - 128) / 128
                    case (1, 16): sum += Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int16.self))) / 32768
                    case (1, 24):
                        let v = Int32(bitPattern: UInt32(raw[o]) << 8 | UInt32(raw[o + 1]) << 16 | UInt32(raw[o + 2]) << 24) >> 8
                        sum += Float(v) / 8_388_608
                    case (1, 32): sum += Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: Int32.self))) / 2_147_483_648
                    case (3, 32): sum += Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
                    default: sum += Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self))))
                    }
                }
                samples[f] = sum * scale
            }
        }
        return Contents(samples: samples, sampleRate: rate, channels: channels)
    }

    /// 16-bit PCM mono wav bytes; samples are clipped to [-1, 1] and rounded.
    public static func encode16BitMono(_ samples: [Float], sampleRate: Int) -> Data {
        var out = Data(capacity: 44 + 2 * samples.count)
        func put32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { out.append(contentsOf: $0) } }
        func put16(_ v: Int) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: Array("RIFF".utf8)); put32(36 + 2 * samples.count)
        out.append(contentsOf: Array("WAVEfmt ".utf8)); put32(16)
        put16(1); put16(1); put32(sampleRate); put32(2 * sampleRate); put16(2); put16(16)
        out.append(contentsOf: Array("data".utf8)); put32(2 * samples.count)
        for x in samples {
            let v = Int16((min(1, max(-1, x)) * 32767).rounded())
            withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
        }
        return out
    }

    /// Writes a 16-bit PCM mono wav file atomically.
    public static func write16BitMono(_ samples: [Float], sampleRate: Int, to url: URL) throws {
        do {
            try writeAtomically(encode16BitMono(samples, sampleRate: sampleRate), to: url)
        } catch let error as FileWriteError {
            throw Error.cannotWrite(path: url.path, reason: error.reason)
        }
    }
}
