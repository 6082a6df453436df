import CLibPNG
import Foundation

/// PNG read/write through libpng's simplified API (`png_image_*`), which reports errors in the
/// image struct instead of longjmp, so it is safe to call from Swift. 16-bit and palette files
/// are converted to 8 bits per channel.
public enum PNGFile {
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case unreadable(String, String)
        case unwritable(String, String)
        public var description: String {
            switch self {
            case .unreadable(let f, let why): return "\(f): cannot read PNG: \(why)"
            case .unwritable(let f, let why): return "\(f): cannot write PNG: \(why)"
            }
        }
    }

    /// Reads a PNG as gray (1), RGB (3) or RGBA (4) channels — whichever the file holds, or the
    /// requested `channels` when given (conversion by libpng).
    public static func read(_ url: URL, channels: Int? = nil) throws -> Image8 {
        guard FileManager.default.fileExists(atPath: url.path) else { throw Error.unreadable(url.path, "no such file") }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, url.path) != 0 else {
            let why = message(&image); png_image_free(&image)
            throw Error.unreadable(url.path, why)
        }
        let hasColor = (image.format & 0x02) != 0, hasAlpha = (image.format & 0x01) != 0
        let c = channels ?? (hasColor ? (hasAlpha ? 4 : 3) : (hasAlpha ? 4 : 1))
        image.format = c == 1 ? 0 : (c == 3 ? 0x02 : 0x03)
        let w = Int(image.width), h = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: w * h * c)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else {
            let why = message(&image); png_image_free(&image)
            throw Error.unreadable(url.path, why)
        }
        return Image8(width: w, height: h, channels: c, pixels: pixels)
    }

    /// Encodes `image` as PNG bytes.
    public static func encode(_ image: Image8, name: String = "image") throws -> Data {
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width); png.height = UInt32(image.height)
        png.format = image.channels == 1 ? 0 : (image.channels == 3 ? 0x02 : 0x03)
        var size: png_alloc_size_t = 0
        let probe = image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, nil, &size, 0, $0.baseAddress, 0, nil) }
        guard probe != 0, size > 0 else { let why = message(&png); throw Error.unwritable(name, why) }
        var out = [UInt8](repeating: 0, count: Int(size))
        let ok = out.withUnsafeMutableBytes { dst in
            image.pixels.withUnsafeBytes { png_image_write_to_memory(&png, dst.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard ok != 0 else { let why = message(&png); throw Error.unwritable(name, why) }
        return Data(out[0..<Int(size)])
    }

    /// Writes `image` to `url` atomically.
    public static func write(_ image: Image8, to url: URL) throws {
        try writeAtomically(try encode(image, name: url.path), to: url)
    }

    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let text = String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            return text.isEmpty ? "libpng error" : text
        }
    }
}
