import Foundation

/// The 68 facial landmarks of one frame in the iBUG-68 order (ER-NeRF `ori_imgs/<i>.lms`: 68 lines
/// "x y", as NumPy `savetxt` writes them). `points` [68] are pixel coordinates (x = column,
/// y = row) in the project's sampling convention: pixel (col, row) covers [col, col+1) × [row, row+1),
/// its centre is (col + 0.5, row + 0.5) — the same as `Camera.project`.
///
/// iBUG-68 index ranges: 0–16 jaw line (image left → right), 17–21 and 22–26 brows, 27–30 nose
/// bridge, 31–35 nostrils, 36–41 and 42–47 eyes, 48–59 outer lips, 60–67 inner lips.
public struct Landmarks: Equatable, Sendable {
    public static let count = 68
    public static let outerLips = 48..<60
    public static let innerLips = 60..<68
    public static let lips = 48..<68
    public static let jaw = 0..<17

    public var points: [SIMD2<Float>]

    public init(points: [SIMD2<Float>]) {
        precondition(points.count == Self.count, "Landmarks: need 68 points, got \(points.count)")
        self.points = points
    }

    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case unreadable(String)
        case wrongLineCount(String, Int)
        case badLine(String, Int, String)
        public var description: String {
            switch self {
            case .unreadable(let f): return "\(f): cannot read the landmarks file (missing or no permission)"
            case .wrongLineCount(let f, let n): return "\(f): landmarks file has \(n) lines, expected 68 (iBUG-68 'x y' per line)"
            case .badLine(let f, let line, let text): return "\(f): line \(line): expected two numbers 'x y', found '\(text)'"
            }
        }
    }

    /// Parses `.lms` text (blank lines ignored; values separated by spaces or tabs).
    public static func parse(_ text: String, name: String) throws -> Landmarks {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard lines.count == count else { throw Error.wrongLineCount(name, lines.count) }
        var points: [SIMD2<Float>] = []
        for (k, line) in lines.enumerated() {
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
            guard parts.count == 2, let x = Float(parts[0]), let y = Float(parts[1]), x.isFinite, y.isFinite else {
                throw Error.badLine(name, k + 1, String(line.prefix(40)))
            }
            points.append(SIMD2(x, y))
        }
        return Landmarks(points: points)
    }

    public static func read(_ url: URL) throws -> Landmarks {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw Error.unreadable(url.path) }
        return try parse(String(decoding: data, as: UTF8.self), name: url.path)
    }

    /// `.lms` text: 68 lines "x y" with 6 decimals (NumPy `savetxt(..., '%f')`).
    public var text: String {
        points.map { String(format: "%f %f", $0.x, $0.y) }.joined(separator: "\n") + "\n"
    }

    public func write(_ url: URL) throws { try writeAtomically(Data(text.utf8), to: url) }

    /// ER-NeRF's lips rectangle (`get_lips_rect`): the box of the outer lips 48–59 made square
    /// (side = the larger extent, centred) and clipped to the image. Integer pixel bounds,
    /// half-open: rows `rowMin..<rowMax`, columns `colMin..<colMax`.
    public func lipsRectangle(width: Int, height: Int) -> PixelRect {
        let lips = points[Self.outerLips]
        let rowMin = Int(lips.map(\.y).min()!), rowMax = Int(lips.map(\.y).max()!)
        let colMin = Int(lips.map(\.x).min()!), colMax = Int(lips.map(\.x).max()!)
        let cr = (rowMin + rowMax) / 2, cc = (colMin + colMax) / 2
        let half = max(rowMax - rowMin, colMax - colMin) / 2
        return PixelRect(rowMin: max(0, cr - half), rowMax: min(height, cr + half),
                         colMin: max(0, cc - half), colMax: min(width, cc + half))
    }

    /// Pixel box of all 68 points, grown by `margin` (fraction of its size) and clipped.
    public func boundingRectangle(width: Int, height: Int, margin: Float = 0) -> PixelRect {
        let xs = points.map(\.x), ys = points.map(\.y)
        let mx = (xs.max()! - xs.min()!) * margin, my = (ys.max()! - ys.min()!) * margin
        return PixelRect(rowMin: max(0, Int(ys.min()! - my)), rowMax: min(height, Int(ys.max()! + my) + 1),
                         colMin: max(0, Int(xs.min()! - mx)), colMax: min(width, Int(xs.max()! + mx) + 1))
    }

    /// The mouth mask of dynamic splatting (DESIGN.md §3, paper eq. 9): the polygon of the outer
    /// lips 48–59 (which encloses the inner lips 60–67, so this is "48–67 filled") filled, then
    /// dilated by a disk of radius `dilation(mouthWidth)` pixels, where mouthWidth = |p54 − p48|.
    /// Default dilation: `0.25 · mouthWidth` (≈ 15 px for a 60 px mouth at 512²), at least 2 px:
    /// the paper's reference mask covers the lips plus the skin they move (Figure 2).
    /// Returns [H, W] bytes, 1 inside, 0 outside. A pixel is inside when its centre is.
    public func mouthMask(width: Int, height: Int, dilationFraction: Float = 0.25) -> [UInt8] {
        let poly = Array(points[Self.outerLips])
        let mouthWidth = ((poly[6] - poly[0]) * (poly[6] - poly[0])).sum().squareRoot()
        let r = max(2, dilationFraction * mouthWidth)
        var mask = [UInt8](repeating: 0, count: width * height)
        let xs = poly.map(\.x), ys = poly.map(\.y)
        let c0 = max(0, Int((xs.min()! - r).rounded(.down))), c1 = min(width - 1, Int((xs.max()! + r).rounded(.up)))
        let r0 = max(0, Int((ys.min()! - r).rounded(.down))), r1 = min(height - 1, Int((ys.max()! + r).rounded(.up)))
        guard c0 <= c1, r0 <= r1 else { return mask }
        let r2 = r * r
        for row in r0...r1 {
            for col in c0...c1 {
                let p = SIMD2<Float>(Float(col) + 0.5, Float(row) + 0.5)
                if pointInPolygon(p, poly) || distanceSquaredToPolygon(p, poly) <= r2 { mask[row * width + col] = 1 }
            }
        }
        return mask
    }
}

/// An integer pixel rectangle, half-open: rows `rowMin..<rowMax`, columns `colMin..<colMax`.
public struct PixelRect: Equatable, Sendable, Codable {
    public var rowMin, rowMax, colMin, colMax: Int
    public init(rowMin: Int, rowMax: Int, colMin: Int, colMax: Int) {
        self.rowMin = rowMin; self.rowMax = rowMax; self.colMin = colMin; self.colMax = colMax
    }
    public var isEmpty: Bool { rowMax <= rowMin || colMax <= colMin }
}

/// Even–odd point-in-polygon test.
func pointInPolygon(_ p: SIMD2<Float>, _ poly: [SIMD2<Float>]) -> Bool {
    var inside = false
    var j = poly.count - 1
    for i in 0..<poly.count {
        let a = poly[i], b = poly[j]
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x)
            if p.x < x { inside.toggle() }
        }
        j = i
    }
    return inside
}

/// Squared distance from `p` to the closed polygon's edges.
func distanceSquaredToPolygon(_ p: SIMD2<Float>, _ poly: [SIMD2<Float>]) -> Float {
    var best = Float.infinity
    var j = poly.count - 1
    for i in 0..<poly.count {
        let a = poly[j], b = poly[i]
        let ab = b - a, ap = p - a
        let len2 = (ab * ab).sum()
        let t = len2 > 0 ? min(max((ap * ab).sum() / len2, 0), 1) : 0
        let d = ap - t * ab
        best = min(best, (d * d).sum())
        j = i
    }
    return best
}
