import DataIO

/// Frames of the optional comparison video of `eval`: prediction on the left, ground truth on the
/// right, no gap, so each half keeps its pixels exactly (width 2W, height H; even when W is).
public enum ComparisonFrame {
    /// `[H, 2W, 3]`: row r is prediction row r then ground-truth row r. Both must be RGB W×H.
    public static func sideBySide(prediction: Image8, groundTruth: Image8) -> Image8 {
        precondition(prediction.width == groundTruth.width && prediction.height == groundTruth.height
                     && prediction.channels == 3 && groundTruth.channels == 3,
                     "ComparisonFrame: both images must be RGB of the same size")
        let w = prediction.width, h = prediction.height, rowBytes = 3 * w
        var pixels = [UInt8](repeating: 0, count: 2 * rowBytes * h)
        pixels.withUnsafeMutableBufferPointer { out in
            prediction.pixels.withUnsafeBufferPointer { left in groundTruth.pixels.withUnsafeBufferPointer { right in
                for row in 0..<h {
                    let o = 2 * rowBytes * row, i = rowBytes * row
                    for k in 0..<rowBytes { out[o + k] = left[i + k]; out[o + rowBytes + k] = right[i + k] }
                }
            } }
        }
        return Image8(width: 2 * w, height: h, channels: 3, pixels: pixels)
    }
}
