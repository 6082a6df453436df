import CTurboJPEG
import Foundation

/// JPEG read/write through libjpeg-turbo's TurboJPEG C API (`tjCompress2` / `tjDecompress2`), the
/// format of the talking-head datasets' `ori_imgs/*.jpg`, `gt_imgs/*.jpg` and `bc.jpg`.
///
/// Images are `Image8` with 1 (gray) or 3 (RGB) channels; RGBA input is rejected (JPEG has no alpha).
/// Encoding uses 4:2:0 chroma subsampling (as OpenCV's `cv2.imwrite` default) and the accurate
/// DCT; decoding returns RGB unless the file is gray (or `channels` asks otherwise).
/// TurboJPEG handles are created per call, so every function is safe to call from any thread.
public enum JPEGFile {
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case unreadable(String, String)
        case unwritable(String, String)
        public var description: String {
            switch self {
            case .unreadable(let f, let why): return "\(f): cannot read JPEG: \(why)"
            case .unwritable(let f, let why): return "\(f): cannot write JPEG: \(why)"
            }
        }
    }

    /// Default quality of the dataset writer (ER-NeRF's OpenCV default is 95).
    public static let defaultQuality = 95

    /// Width and height from the header only (fast: no pixel decoding).
    public static func size(_ url: URL) throws -> (width: Int, height: Int) {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw Error.unreadable(url.path, "no such file") }
        return try size(of: data, name: url.path)
    }

    /// Width and height of JPEG bytes from the header only.
    public static func size(of data: Data, name: String) throws -> (width: Int, height: Int) {
        guard let handle = tjInitDecompress() else { throw Error.unreadable(name, "TurboJPEG could not start") }
        defer { tjDestroy(handle) }
        var w: Int32 = 0, h: Int32 = 0, sub: Int32 = 0, space: Int32 = 0
        let status = data.withUnsafeBytes { raw -> Int32 in
            tjDecompressHeader3(handle, raw.bindMemory(to: UInt8.self).baseAddress, UInt(data.count), &w, &h, &sub, &space)
        }
        guard status == 0 else { throw Error.unreadable(name, message(handle)) }
        return (Int(w), Int(h))
    }

    /// Reads a JPEG file as RGB (3 channels) or gray (1) — whichever the file holds, or the
    /// requested `channels` (1 or 3) when given.
    public static func read(_ url: URL, channels: Int? = nil) throws -> Image8 {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw Error.unreadable(url.path, "no such file") }
        return try decode(data, name: url.path, channels: channels)
    }

    /// Decodes JPEG bytes; `name` is used in error messages.
    public static func decode(_ data: Data, name: String = "image", channels: Int? = nil) throws -> Image8 {
        precondition(channels == nil || channels == 1 || channels == 3, "JPEG decodes to 1 or 3 channels")
        guard let handle = tjInitDecompress() else { throw Error.unreadable(name, "TurboJPEG could not start") }
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { raw -> Image8 in
            let src = raw.bindMemory(to: UInt8.self).baseAddress
            var w: Int32 = 0, h: Int32 = 0, sub: Int32 = 0, space: Int32 = 0
            guard tjDecompressHeader3(handle, src, UInt(data.count), &w, &h, &sub, &space) == 0 else {
                throw Error.unreadable(name, message(handle))
            }
            let c = channels ?? (space == Int32(TJCS_GRAY.rawValue) ? 1 : 3)
            var pixels = [UInt8](repeating: 0, count: Int(w) * Int(h) * c)
            let format = Int32(c == 1 ? TJPF_GRAY.rawValue : TJPF_RGB.rawValue)
            let status = pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, src, UInt(data.count), dst.baseAddress, w, 0, h, format, 0)
            }
            // Status −1 with a warning (e.g. extraneous bytes) still decodes the image.
            if status != 0 && tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue) {
                throw Error.unreadable(name, message(handle))
            }
            return Image8(width: Int(w), height: Int(h), channels: c, pixels: pixels)
        }
    }

    /// Encodes a gray or RGB image as JPEG bytes (quality 1…100).
    public static func encode(_ image: Image8, quality: Int = defaultQuality, name: String = "image") throws -> Data {
        guard image.channels == 1 || image.channels == 3 else {
            throw Error.unwritable(name, "JPEG stores 1 or 3 channels, the image has \(image.channels)")
        }
        guard let handle = tjInitCompress() else { throw Error.unwritable(name, "TurboJPEG could not start") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let gray = image.channels == 1
        let status = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(image.width), 0, Int32(image.height),
                        Int32(gray ? TJPF_GRAY.rawValue : TJPF_RGB.rawValue), &buffer, &size,
                        Int32(gray ? TJSAMP_GRAY.rawValue : TJSAMP_420.rawValue), Int32(min(max(quality, 1), 100)), 0)
        }
        defer { if let buffer { tjFree(buffer) } }
        guard status == 0, let buffer else { throw Error.unwritable(name, message(handle)) }
        return Data(bytes: buffer, count: Int(size))
    }

    /// Writes `image` to `url` atomically.
    public static func write(_ image: Image8, to url: URL, quality: Int = defaultQuality) throws {
        try writeAtomically(try encode(image, quality: quality, name: url.path), to: url)
    }

    private static func message(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "TurboJPEG error" }
        let s = String(cString: text)
        return s.isEmpty ? "TurboJPEG error" : s
    }
}

/// Reads a PNG or JPEG by file extension (`.png` → libpng, anything else → TurboJPEG).
public func readImage(_ url: URL) throws -> Image8 {
    url.pathExtension.lowercased() == "png" ? try PNGFile.read(url) : try JPEGFile.read(url)
}
