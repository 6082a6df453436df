/// Simple drawing on 8-bit RGB images, for overlays and contact sheets (debug views, not renders).
extension Image8 {
    /// Sets pixel (col, row) to `color` blended with `opacity` ∈ [0, 1]; outside pixels are ignored.
    public mutating func blend(col: Int, row: Int, _ color: SIMD3<UInt8>, opacity: Float = 1) {
        guard col >= 0, row >= 0, col < width, row < height, channels >= 3 else { return }
        let i = channels * (row * width + col)
        for c in 0..<3 {
            let v = Float(pixels[i + c]) * (1 - opacity) + Float(color[c]) * opacity
            pixels[i + c] = UInt8(min(max(v.rounded(), 0), 255))
        }
    }

    /// A filled square dot of half-size `radius` centred at continuous pixel coordinates `p`.
    public mutating func dot(_ p: SIMD2<Float>, radius: Int = 1, _ color: SIMD3<UInt8>) {
        guard p.x.isFinite, p.y.isFinite, abs(p.x) < 1e6, abs(p.y) < 1e6 else { return }
        let c0 = Int(p.x.rounded(.down)), r0 = Int(p.y.rounded(.down))
        for dr in -radius...radius { for dc in -radius...radius { blend(col: c0 + dc, row: r0 + dr, color) } }
    }

    /// A one-pixel line between continuous pixel coordinates.
    public mutating func line(_ a: SIMD2<Float>, _ b: SIMD2<Float>, _ color: SIMD3<UInt8>) {
        guard a.x.isFinite, a.y.isFinite, b.x.isFinite, b.y.isFinite else { return }
        let steps = Int(min(4 * Float(width + height), max(abs(b.x - a.x), abs(b.y - a.y)).rounded(.up))) + 1
        for s in 0...steps {
            let p = a + (b - a) * (Float(s) / Float(steps))
            blend(col: Int(p.x.rounded(.down)), row: Int(p.y.rounded(.down)), color)
        }
    }

    /// The outline of a pixel rectangle.
    public mutating func rectangle(_ r: PixelRect, _ color: SIMD3<UInt8>) {
        let a = SIMD2<Float>(Float(r.colMin), Float(r.rowMin)), b = SIMD2<Float>(Float(r.colMax - 1), Float(r.rowMax - 1))
        line(a, [b.x, a.y], color); line([b.x, a.y], b, color); line(b, [a.x, b.y], color); line([a.x, b.y], a, color)
    }

    /// Tints pixels where `mask` [H, W] is non-zero.
    public mutating func tint(_ mask: [UInt8], _ color: SIMD3<UInt8>, opacity: Float) {
        for row in 0..<height { for col in 0..<width where mask[row * width + col] != 0 { blend(col: col, row: row, color, opacity: opacity) } }
    }

    /// Draws the outline (pixels with an unmasked 4-neighbour) of `mask`.
    public mutating func outline(_ mask: [UInt8], _ color: SIMD3<UInt8>) {
        for row in 0..<height {
            for col in 0..<width where mask[row * width + col] != 0 {
                let edge = col == 0 || row == 0 || col == width - 1 || row == height - 1
                    || mask[row * width + col - 1] == 0 || mask[row * width + col + 1] == 0
                    || mask[(row - 1) * width + col] == 0 || mask[(row + 1) * width + col] == 0
                if edge { blend(col: col, row: row, color) }
            }
        }
    }

    /// A grid of equally sized RGB images, `columns` wide, separated by `gap` pixels of `background`.
    public static func contactSheet(_ images: [Image8], columns: Int, gap: Int = 4, background: SIMD3<UInt8> = [24, 24, 24]) -> Image8 {
        precondition(!images.isEmpty && columns > 0)
        let w = images[0].width, h = images[0].height
        let rows = (images.count + columns - 1) / columns
        let sw = columns * w + (columns + 1) * gap, sh = rows * h + (rows + 1) * gap
        var px = [UInt8](repeating: 0, count: sw * sh * 3)
        for i in 0..<(sw * sh) { px[3 * i] = background.x; px[3 * i + 1] = background.y; px[3 * i + 2] = background.z }
        for (k, image) in images.enumerated() {
            precondition(image.width == w && image.height == h && image.channels == 3, "contact sheet: images must be same-size RGB")
            let ox = gap + (k % columns) * (w + gap), oy = gap + (k / columns) * (h + gap)
            for row in 0..<h {
                let src = row * w * 3, dst = ((oy + row) * sw + ox) * 3
                for j in 0..<(w * 3) { px[dst + j] = image.pixels[src + j] }
            }
        }
        return Image8(width: sw, height: sh, channels: 3, pixels: px)
    }
}
