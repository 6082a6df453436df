import Foundation

/// The semantic parsing map of a talking-head frame (ER-NeRF `parsing/<i>.png`).
///
/// ER-NeRF's face parser writes the map with OpenCV, so the colours are given in **BGR** order:
/// head [255, 0, 0], neck [0, 255, 0], torso [0, 0, 255], background [255, 255, 255]. In the PNG
/// file (RGB order, as any viewer and libpng see it) head pixels are therefore (R, G, B) =
/// (0, 0, 255) — blue — and torso pixels (255, 0, 0) — red. Any other colour is `.other`.
///
/// `labels` [H, W] holds one `Label` raw value per pixel.
public struct ParsingMap: Equatable, Sendable {
    public enum Label: UInt8, Sendable, CaseIterable {
        case background = 0, head = 1, neck = 2, torso = 3, other = 4

        /// The colour in BGR order, as ER-NeRF documents and compares it.
        public var bgr: SIMD3<UInt8> {
            switch self {
            case .head: return [255, 0, 0]
            case .neck: return [0, 255, 0]
            case .torso: return [0, 0, 255]
            case .background: return [255, 255, 255]
            case .other: return [0, 0, 0]
            }
        }
        /// The same colour in file (RGB) order.
        public var rgb: SIMD3<UInt8> { SIMD3(bgr.z, bgr.y, bgr.x) }
    }

    public var width: Int
    public var height: Int
    public var labels: [UInt8]

    public init(width: Int, height: Int, labels: [UInt8]) {
        precondition(labels.count == width * height)
        self.width = width; self.height = height; self.labels = labels
    }

    /// Classifies an RGB(A) image by exact colour (ER-NeRF compares exact values too).
    public init(image: Image8) {
        let c = image.channels
        var labels = [UInt8](repeating: Label.other.rawValue, count: image.width * image.height)
        if c >= 3 {
            image.pixels.withUnsafeBufferPointer { px in
                for p in 0..<labels.count {
                    let r = px[c * p], g = px[c * p + 1], b = px[c * p + 2]
                    let label: Label
                    switch (r, g, b) {
                    case (0, 0, 255): label = .head
                    case (0, 255, 0): label = .neck
                    case (255, 0, 0): label = .torso
                    case (255, 255, 255): label = .background
                    default: label = .other
                    }
                    labels[p] = label.rawValue
                }
            }
        }
        self.init(width: image.width, height: image.height, labels: labels)
    }

    /// The RGB image to write as PNG (BGR-specified colours stored in RGB order, see above).
    public var image: Image8 {
        var px = [UInt8](repeating: 0, count: 3 * labels.count)
        let table = Label.allCases.map(\.rgb)
        for p in 0..<labels.count {
            let rgb = table[Int(labels[p])]
            px[3 * p] = rgb.x; px[3 * p + 1] = rgb.y; px[3 * p + 2] = rgb.z
        }
        return Image8(width: width, height: height, channels: 3, pixels: px)
    }

    /// [H, W] 1 where the label is `label`, else 0.
    public func mask(_ label: Label) -> [UInt8] { labels.map { $0 == label.rawValue ? 1 : 0 } }

    public static func read(_ url: URL) throws -> ParsingMap { ParsingMap(image: try PNGFile.read(url, channels: 3)) }
    public func write(_ url: URL) throws { try PNGFile.write(image, to: url) }
}
