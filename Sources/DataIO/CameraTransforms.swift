import Foundation
import TensorCore

/// The camera file of the talking-head datasets (ER-NeRF / TalkingGaussian `transforms_*.json`):
/// `focal_len`, `cx`, `cy` (image = 2cx × 2cy pixels, principal point at the centre) and
/// `frames[{img_id, aud_id?, transform_matrix}]`, each matrix 4×4 camera-to-world in the OpenGL
/// convention (camera looks down −Z, +Y up). Unknown keys are kept in `extra` and written back.
/// Our extension: an optional top-level `"image_folder"` naming where `<img_id>.png|jpg` live.
public struct CameraTransforms: Equatable {
    public struct Frame: Equatable {
        public var imageID: Int
        public var audioID: Int?
        /// 4×4 camera-to-world, OpenGL convention, rows.
        public var transform: [[Float]]
        public init(imageID: Int, audioID: Int? = nil, transform: [[Float]]) {
            self.imageID = imageID; self.audioID = audioID; self.transform = transform
        }
    }

    public var focalLength: Float
    public var cx: Float
    public var cy: Float
    public var frames: [Frame]
    public var imageFolder: String?

    public init(focalLength: Float, cx: Float, cy: Float, frames: [Frame], imageFolder: String? = nil) {
        self.focalLength = focalLength; self.cx = cx; self.cy = cy; self.frames = frames; self.imageFolder = imageFolder
    }

    /// Image size 2cx × 2cy (rounded).
    public var width: Int { Int((2 * cx).rounded()) }
    public var height: Int { Int((2 * cy).rounded()) }

    /// The camera of frame `i`.
    public func camera(_ i: Int) -> Camera {
        Camera(cameraToWorldOpenGL: frames[i].transform, width: width, height: height,
               fx: focalLength, fy: focalLength, cx: cx, cy: cy)
    }

    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case unreadable(String)
        case notJSON(String, String)
        case missingField(String, String)
        case badField(String, String)
        case nonRigid(String, Int)

        public var description: String {
            switch self {
            case .unreadable(let f): return "\(f): cannot read the file (missing or no permission)"
            case .notJSON(let f, let why): return "\(f): not valid JSON: \(why)"
            case .missingField(let f, let field): return "\(f): missing field '\(field)'"
            case .badField(let f, let why): return "\(f): \(why)"
            case .nonRigid(let f, let i): return "\(f): frame \(i): transform_matrix is not a rigid camera-to-world matrix (rotation not orthonormal or last row not 0 0 0 1)"
            }
        }
    }

    /// Reads and validates a transforms file.
    public static func read(_ url: URL) throws -> CameraTransforms {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw Error.unreadable(url.path) }
        let f = url.path
        let any: Any
        do { any = try JSONSerialization.jsonObject(with: data) } catch {
            throw Error.notJSON(f, "the file is not a JSON document")
        }
        guard let root = any as? [String: Any] else { throw Error.notJSON(f, "top level is not an object") }
        func number(_ key: String) throws -> Float {
            guard let v = root[key] else { throw Error.missingField(f, key) }
            guard let n = (v as? NSNumber)?.floatValue, n.isFinite else { throw Error.badField(f, "'\(key)' is not a number") }
            return n
        }
        let focal = try number("focal_len"), cx = try number("cx"), cy = try number("cy")
        guard focal > 0 else { throw Error.badField(f, "'focal_len' must be positive") }
        guard cx > 0, cy > 0 else { throw Error.badField(f, "'cx' and 'cy' must be positive") }
        guard let framesAny = root["frames"] else { throw Error.missingField(f, "frames") }
        guard let framesArray = framesAny as? [[String: Any]] else { throw Error.badField(f, "'frames' is not a list of objects") }
        var frames: [Frame] = []
        for (i, fr) in framesArray.enumerated() {
            guard let idAny = fr["img_id"] else { throw Error.badField(f, "frame \(i): missing 'img_id'") }
            guard let id = (idAny as? NSNumber)?.intValue else { throw Error.badField(f, "frame \(i): 'img_id' is not a number") }
            guard let m = fr["transform_matrix"] as? [[Any]], m.count == 4, m.allSatisfy({ $0.count == 4 }) else {
                throw Error.badField(f, "frame \(i): 'transform_matrix' is missing or not 4×4")
            }
            var rows: [[Float]] = []
            for r in m {
                var row: [Float] = []
                for v in r {
                    guard let x = (v as? NSNumber)?.floatValue, x.isFinite else {
                        throw Error.badField(f, "frame \(i): 'transform_matrix' has a non-numeric entry")
                    }
                    row.append(x)
                }
                rows.append(row)
            }
            guard isRigid(rows) else { throw Error.nonRigid(f, i) }
            frames.append(Frame(imageID: id, audioID: (fr["aud_id"] as? NSNumber)?.intValue, transform: rows))
        }
        return CameraTransforms(focalLength: focal, cx: cx, cy: cy, frames: frames, imageFolder: root["image_folder"] as? String)
    }

    /// JSON text in the dataset layout (pretty-printed, keys sorted).
    public func jsonData() throws -> Data {
        var root: [String: Any] = ["focal_len": Double(focalLength), "cx": Double(cx), "cy": Double(cy)]
        if let imageFolder { root["image_folder"] = imageFolder }
        root["frames"] = frames.map { fr -> [String: Any] in
            var d: [String: Any] = ["img_id": fr.imageID, "transform_matrix": fr.transform.map { $0.map { Double($0) } }]
            if let a = fr.audioID { d["aud_id"] = a }
            return d
        }
        return try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])
    }

    /// Writes atomically.
    public func write(_ url: URL) throws { try writeAtomically(try jsonData(), to: url) }
}
