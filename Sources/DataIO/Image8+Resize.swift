extension Image8 {
    /// The image resampled to `width`×`height` (same channels) with bilinear interpolation between
    /// pixel centres (source sample x = (col + 0.5)·W_src/W − 0.5, clamped to the border; as
    /// OpenCV's INTER_LINEAR). Returns `self` when the size is unchanged.
    public func resized(width w: Int, height h: Int) -> Image8 {
        precondition(w > 0 && h > 0, "Image8.resized: size must be positive")
        if w == width && h == height { return self }
        let c = channels
        var out = [UInt8](repeating: 0, count: w * h * c)
        let sx = Float(width) / Float(w), sy = Float(height) / Float(h)
        /// (lower index, upper index, weight of the upper) along one axis.
        func taps(_ i: Int, scale: Float, size: Int) -> (Int, Int, Float) {
            let x = min(max((Float(i) + 0.5) * scale - 0.5, 0), Float(size - 1))
            let lo = Int(x)
            return (lo, min(lo + 1, size - 1), x - Float(lo))
        }
        let columns = (0..<w).map { taps($0, scale: sx, size: width) }
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for row in 0..<h {
                    let (r0, r1, fy) = taps(row, scale: sy, size: height)
                    for col in 0..<w {
                        let (c0, c1, fx) = columns[col]
                        for k in 0..<c {
                            let a = Float(src[(r0 * width + c0) * c + k]), b = Float(src[(r0 * width + c1) * c + k])
                            let d = Float(src[(r1 * width + c0) * c + k]), e = Float(src[(r1 * width + c1) * c + k])
                            let v = (a + (b - a) * fx) * (1 - fy) + (d + (e - d) * fx) * fy
                            dst[(row * w + col) * c + k] = UInt8(min(max(v.rounded(), 0), 255))
                        }
                    }
                }
            }
        }
        return Image8(width: w, height: h, channels: c, pixels: out)
    }
}
