/// An 8-bit image: `pixels` [height, width, channels] row-major, channels 1 (gray), 3 (RGB) or
/// 4 (RGBA, straight alpha).
public struct Image8: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition([1, 3, 4].contains(channels) && pixels.count == width * height * channels)
        self.width = width; self.height = height; self.channels = channels; self.pixels = pixels
    }

    /// Converts Float values in [0, 1] ([H, W, C]) to 8 bits (clamped, rounded to nearest).
    public init(floats: [Float], width: Int, height: Int, channels: Int) {
        precondition(floats.count == width * height * channels)
        self.init(width: width, height: height, channels: channels, pixels: floats.map { v in
            let c = (v.isNaN ? 0 : min(max(v, 0), 1)) * 255
            return UInt8(c.rounded())
        })
    }

    /// Float values in [0, 1], [H, W, C] with the image's own channel count.
    public var floats: [Float] { pixels.map { Float($0) / 255 } }

    /// RGB floats [H, W, 3] in [0, 1]: gray is replicated, alpha dropped.
    public var rgbFloats: [Float] {
        switch channels {
        case 3: return floats
        case 1: return pixels.flatMap { v -> [Float] in let f = Float(v) / 255; return [f, f, f] }
        default:
            var out = [Float](repeating: 0, count: width * height * 3)
            for p in 0..<(width * height) { for c in 0..<3 { out[3 * p + c] = Float(pixels[4 * p + c]) / 255 } }
            return out
        }
    }
}
