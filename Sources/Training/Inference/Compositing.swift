import DataIO

/// The last step of inference (DESIGN.md §3 "Inference", ER-NeRF / TalkingGaussian): the rendered
/// head is laid over the frame's background (torso + `bc.jpg`, `TalkingHeadFrame.background`):
///
///     final = head RGB + (1 − head α) · background
///
/// `head RGB` is *premultiplied* — what the rasterizer blends over a black background
/// (`RenderSettings(background: .zero)`, `RasterImages.image`) — and `head α` = 1 − T_final
/// (`RasterImages.alpha`). Shapes: RGB and background `[H, W, 3]`, α `[H, W]`, values in [0, 1].
public enum Compositing {
    /// `final` `[H, W, 3]` Floats (not clamped: exact formula).
    public static func composite(headRGB: [Float], headAlpha: [Float], background: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: background.count)
        composite(headRGB: headRGB, headAlpha: headAlpha, background: background, into: &out)
        return out
    }

    /// The frame as a video shows it, for metrics: `composite(…)` clamped to [0, 1] and rounded to
    /// 8 bits (`Image8(floats:)`), returned as floats k/255 `[H, W, 3]`. Training's validation and
    /// `eval` both score this, so their numbers agree exactly, and a render identical to an 8-bit
    /// ground truth scores PSNR = inf.
    public static func quantizedFrame(headRGB: [Float], headAlpha: [Float], background: [Float]) -> [Float] {
        let frame = composite(headRGB: headRGB, headAlpha: headAlpha, background: background)
        return frame.map { v in (v.isNaN ? 0 : (min(max(v, 0), 1) * 255).rounded()) / 255 }
    }

    /// Same into a caller-owned buffer of `[H, W, 3]` (reuse it across frames).
    public static func composite(headRGB: [Float], headAlpha: [Float], background: [Float], into out: inout [Float]) {
        let p = headAlpha.count
        precondition(headRGB.count == 3 * p && background.count == 3 * p, "Compositing: need RGB [H, W, 3], α [H, W], background [H, W, 3]")
        if out.count != 3 * p { out = [Float](repeating: 0, count: 3 * p) }
        headRGB.withUnsafeBufferPointer { rgb in headAlpha.withUnsafeBufferPointer { a in background.withUnsafeBufferPointer { bg in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<p {
                    let t = 1 - a[i]
                    for c in 0..<3 { o[3 * i + c] = rgb[3 * i + c] + t * bg[3 * i + c] }
                }
            }
        } } }
    }

    /// The video-frame form: background as an 8-bit RGB image, result as an 8-bit RGB image
    /// (each value clamped to [0, 1], then rounded to the nearest of 0…255, as `Image8(floats:)`),
    /// written into `out` (reused across frames; resized when needed) ready for `VideoWriter`.
    public static func composite(headRGB: [Float], headAlpha: [Float], background: Image8, into out: inout Image8) {
        let p = background.width * background.height
        precondition(background.channels == 3 && headAlpha.count == p && headRGB.count == 3 * p,
                     "Compositing: need RGB [H, W, 3], α [H, W] and an RGB background of the same size")
        if out.width != background.width || out.height != background.height || out.channels != 3 {
            out = Image8(width: background.width, height: background.height, channels: 3, pixels: [UInt8](repeating: 0, count: 3 * p))
        }
        headRGB.withUnsafeBufferPointer { rgb in headAlpha.withUnsafeBufferPointer { a in
            background.pixels.withUnsafeBufferPointer { bg in out.pixels.withUnsafeMutableBufferPointer { o in
                for i in 0..<p {
                    // The same operations as `quantizedFrame` on `Image8.rgbFloats` (bit-identical frames).
                    let t = 1 - a[i]
                    for c in 0..<3 {
                        let v = rgb[3 * i + c] + t * (Float(bg[3 * i + c]) / 255)
                        o[3 * i + c] = UInt8((v.isNaN ? 0 : min(max(v, 0), 1) * 255).rounded())
                    }
                }
            } }
        } }
    }
}
